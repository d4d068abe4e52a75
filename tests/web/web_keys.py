"""The admin key the browser tests' server accepts (a module of its own: `conftest` names several modules)."""

ADMIN_KEY = "browser-test-admin-key-0123456789"
