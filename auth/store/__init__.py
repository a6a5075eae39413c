"""Where the authorization server keeps its state. `open_auth_store(url)` picks the backend."""
