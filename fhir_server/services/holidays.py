"""Vietnam's public holidays (Labour Code 45/2019/QH14, art. 112), for slot generation.

Solar: 1/1, 30/4, 1/5, 2/9 and one adjacent day (we take 3/9; the government names the day each year).
Lunar: Tết (the last day of the old year and the first four of the new: five days) and the Hùng Kings'
day (10th day of the 3rd lunar month). Lunar dates are computed with Hồ Ngọc Đức's published algorithm
for the Vietnamese calendar (new moons and solar terms at UTC+7, https://www.informatik.uni-leipzig.de/
~duc/amlich/calrules.html); `TET_2024_2035` is the check table its tests compare with. Days the
government adds or swaps (nghỉ bù) are given to the generator as extra exclusions.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

_TZ = 7.0  # the Vietnamese calendar is reckoned at UTC+7 (which makes some Tết differ from China's)
_JD_OFFSET = 1721425  # date.toordinal() + this = Julian day number

# First day of the lunar year (mùng 1 Tết), from the Vietnamese almanac; checked against the computation.
TET_2024_2035 = {
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 2),  # China: 3 Feb (the new moon falls at 23:07 in Hanoi, 00:07 in Beijing)
    2031: date(2031, 1, 23),
    2032: date(2032, 2, 11),
    2033: date(2033, 1, 31),
    2034: date(2034, 2, 19),
    2035: date(2035, 2, 8),
}


def _new_moon(k: int) -> float:
    """Julian day of the k-th new moon after 1900-01-01 (Meeus' approximation, as in Hồ Ngọc Đức)."""
    t = k / 1236.85
    t2, t3 = t * t, t * t * t
    dr = math.pi / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * dr) + 0.0021 * math.sin(2 * dr * m)
    c1 = c1 - 0.4068 * math.sin(mpr * dr) + 0.0161 * math.sin(dr * 2 * mpr)
    c1 = c1 - 0.0004 * math.sin(dr * 3 * mpr)
    c1 = c1 + 0.0104 * math.sin(dr * 2 * f) - 0.0051 * math.sin(dr * (m + mpr))
    c1 = c1 - 0.0074 * math.sin(dr * (m - mpr)) + 0.0004 * math.sin(dr * (2 * f + m))
    c1 = c1 - 0.0004 * math.sin(dr * (2 * f - m)) - 0.0006 * math.sin(dr * (2 * f + mpr))
    c1 = c1 + 0.0010 * math.sin(dr * (2 * f - mpr)) + 0.0005 * math.sin(dr * (2 * mpr + m))
    deltat = -0.000278 + 0.000265 * t + 0.000262 * t2
    return jd1 + c1 - deltat


def _new_moon_day(k: int) -> int:
    return math.floor(_new_moon(k) + 0.5 + _TZ / 24)


def _sun_longitude_sector(day_number: int) -> int:
    """Which of the 12 thirty-degree sectors the sun is in at the start of the local day."""
    t = (day_number - 0.5 - _TZ / 24 - 2451545.0) / 36525
    t2 = t * t
    dr = math.pi / 180
    m = 357.52910 + 35999.05030 * t - 0.0001559 * t2 - 0.00000048 * t * t2
    l0 = 280.46645 + 36000.76983 * t + 0.0003032 * t2
    dl = (1.914600 - 0.004817 * t - 0.000014 * t2) * math.sin(dr * m)
    dl += (0.019993 - 0.000101 * t) * math.sin(dr * 2 * m) + 0.000290 * math.sin(dr * 3 * m)
    longitude = (l0 + dl) * dr
    longitude -= math.pi * 2 * math.floor(longitude / (math.pi * 2))
    return math.floor(longitude / math.pi * 6)


def _lunar_month_11(year: int) -> int:
    """Julian day on which the 11th lunar month (the one holding the winter solstice) of `year` begins."""
    off = date(year, 12, 31).toordinal() + _JD_OFFSET - 2415021
    k = math.floor(off / 29.530588853)
    new_moon = _new_moon_day(k)
    if _sun_longitude_sector(new_moon) >= 9:
        new_moon = _new_moon_day(k - 1)
    return new_moon


def _leap_month_offset(a11: int) -> int:
    k = math.floor((a11 - 2415021.076998695) / 29.530588853 + 0.5)
    i = 1
    arc = _sun_longitude_sector(_new_moon_day(k + i))
    while True:
        last = arc
        i += 1
        arc = _sun_longitude_sector(_new_moon_day(k + i))
        if arc == last or i >= 14:
            return i - 1


def lunar_to_solar(day: int, month: int, year: int) -> date:
    """The Gregorian date of a (non-leap) lunar date in the Vietnamese calendar."""
    if month < 11:
        a11, b11 = _lunar_month_11(year - 1), _lunar_month_11(year)
    else:
        a11, b11 = _lunar_month_11(year), _lunar_month_11(year + 1)
    k = math.floor(0.5 + (a11 - 2415021.076998695) / 29.530588853)
    off = (month - 11) % 12
    if b11 - a11 > 365:  # a leap year: months after the leap month shift by one
        leap_off = _leap_month_offset(a11)
        if off >= leap_off:
            off += 1
    month_start = _new_moon_day(k + off)
    return date.fromordinal(month_start + day - 1 - _JD_OFFSET)


def tet(year: int) -> date:
    """Mùng 1 Tết: the first day of the lunar year that begins in Gregorian `year`."""
    return lunar_to_solar(1, 1, year)


def public_holidays(year: int) -> frozenset[date]:
    new_year = tet(year)
    days = {
        date(year, 1, 1),
        date(year, 4, 30),
        date(year, 5, 1),
        date(year, 9, 2),
        date(year, 9, 3),
        lunar_to_solar(10, 3, year),  # Giỗ Tổ Hùng Vương
        *(new_year + timedelta(days=offset) for offset in range(-1, 4)),
    }
    return frozenset(days)


def is_public_holiday(day: date) -> bool:
    return day in public_holidays(day.year)
