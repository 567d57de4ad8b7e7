"""``python -m examples.incidents_app --client-id ... --client-secret ...``"""

from __future__ import annotations

import uvicorn

from .app import create_app
from .settings import settings_from_command_line


def main() -> None:
    settings, port = settings_from_command_line()
    host = settings.public_url.split("://", 1)[1].rsplit(":", 1)[0]
    print(f"Incidents app on {settings.public_url} (callback URL {settings.callback_url})")
    uvicorn.run(create_app(settings), host=host, port=port)


if __name__ == "__main__":
    main()
