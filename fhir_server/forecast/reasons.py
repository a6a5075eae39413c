"""Why a dose does not count or why nothing is due, in words a nurse understands (English and Vietnamese).

`cdc` is CDC's wording (test-case Evaluation_Reason / forecast reason) so results compare with CDC's cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    cdc: str
    en: str
    vi: str


_CATALOGUE = (
    # evaluation (chapter 6)
    Reason(
        "too-young",
        "Age: Too Young",
        "Given before the child was old enough for this dose; it does not count and must be repeated.",
        "Tiêm khi trẻ chưa đủ tuổi cho mũi này; mũi tiêm không được tính và cần tiêm lại.",
    ),
    Reason(
        "too-old",
        "Age: Too Old",
        "Given after the maximum age for this dose; it is not needed and does not count.",
        "Tiêm sau độ tuổi tối đa cho mũi này; mũi tiêm không cần thiết và không được tính.",
    ),
    Reason(
        "age-grace-period",
        "Age: Grace Period",
        "Given up to 4 days before the minimum age; it still counts (grace period).",
        "Tiêm sớm không quá 4 ngày so với tuổi tối thiểu; mũi tiêm vẫn được tính (thời gian ân hạn).",
    ),
    Reason(
        "too-soon",
        "Interval: Too Soon",
        "Given too soon after the previous dose; it does not count and must be repeated.",
        "Tiêm quá sớm so với mũi trước; mũi tiêm không được tính và cần tiêm lại.",
    ),
    Reason(
        "interval-grace-period",
        "Interval: Grace Period",
        "Given up to 4 days before the minimum interval; it still counts (grace period).",
        "Tiêm sớm không quá 4 ngày so với khoảng cách tối thiểu; mũi tiêm vẫn được tính (thời gian ân hạn).",
    ),
    Reason(
        "inadvertent",
        "Inadvertent Vaccine",
        "This vaccine is not the right one for this dose (given by mistake); it does not count.",
        "Loại vắc xin này không đúng cho mũi này (tiêm nhầm); mũi tiêm không được tính.",
    ),
    Reason(
        "live-virus-conflict",
        "Live Virus Conflict",
        "Given too soon after another live vaccine (they need 4 weeks apart); it does not count.",
        "Tiêm quá gần một vắc xin sống khác (cần cách nhau 4 tuần); mũi tiêm không được tính.",
    ),
    Reason(
        "not-allowed-vaccine",
        "Not a preferable or allowable vaccine",
        "This vaccine cannot be used for this dose at this age; it does not count.",
        "Không dùng loại vắc xin này cho mũi này ở độ tuổi này; mũi tiêm không được tính.",
    ),
    Reason(
        "series-complete",
        "Series Already Complete",
        "The series was already complete; this extra dose was not needed.",
        "Trẻ đã tiêm đủ liều; mũi tiêm thêm này không cần thiết.",
    ),
    Reason(
        "sub-standard",
        "Sub-standard",
        "The dose was expired, recalled or not stored properly; it must be repeated.",
        "Liều vắc xin hết hạn, bị thu hồi hoặc bảo quản không đúng; cần tiêm lại.",
    ),
    Reason(
        "dose-skipped",
        "Skipped",
        "This dose is no longer needed because of the child's age or earlier doses.",
        "Mũi này không còn cần thiết do tuổi của trẻ hoặc các mũi đã tiêm trước đó.",
    ),
    # forecast (chapter 7)
    Reason(
        "complete",
        "Patient series is complete",
        "All doses of this series have been given.",
        "Đã tiêm đủ các mũi của phác đồ này.",
    ),
    Reason(
        "not-recommended",
        "Not recommended at this time due to past immunization history",
        "No dose is recommended now because of the doses already given.",
        "Hiện không khuyến cáo tiêm thêm do lịch sử tiêm chủng trước đó.",
    ),
    Reason(
        "immune",
        "Patient has evidence of immunity",
        "The patient is already protected (evidence of immunity); no dose is needed.",
        "Người bệnh đã có miễn dịch; không cần tiêm.",
    ),
    Reason(
        "contraindicated",
        "Patient has a contraindication",
        "Do not vaccinate: the patient has a contraindication.",
        "Không tiêm: người bệnh có chống chỉ định.",
    ),
    Reason(
        "season-ended",
        "Past seasonal recommendation end date",
        "The vaccination season has ended.",
        "Đã hết mùa tiêm chủng.",
    ),
    Reason(
        "aged-out",
        "Patient has exceeded the maximum age",
        "The patient is past the maximum age for this vaccine.",
        "Người bệnh đã quá độ tuổi tối đa cho vắc xin này.",
    ),
    Reason(
        "cannot-finish",
        "Patient is unable to finish the series prior to the maximum age",
        "The series can no longer be finished before the maximum age.",
        "Không thể hoàn thành phác đồ trước độ tuổi tối đa.",
    ),
    # input problems (warnings; the dose is left out)
    Reason(
        "unknown-vaccine",
        "Unknown vaccine",
        "Unknown vaccine code; the dose was left out of the assessment.",
        "Mã vắc xin không xác định; mũi tiêm không được đưa vào đánh giá.",
    ),
    Reason(
        "dose-before-birth",
        "Dose before birth",
        "The dose date is before the date of birth; the dose was left out.",
        "Ngày tiêm trước ngày sinh; mũi tiêm không được đưa vào đánh giá.",
    ),
    Reason(
        "dose-after-assessment",
        "Dose after assessment date",
        "The dose date is after the assessment date; the dose was left out.",
        "Ngày tiêm sau ngày đánh giá; mũi tiêm không được đưa vào đánh giá.",
    ),
)

REASONS = MappingProxyType({reason.code: reason for reason in _CATALOGUE})


def reason(code: str) -> Reason:
    return REASONS[code]
