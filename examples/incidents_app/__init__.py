"""Incidents: an example app that files confidential Jira issues through threelo."""

from .app import create_app
from .settings import Settings, settings_from_command_line

__all__ = ["Settings", "create_app", "settings_from_command_line"]
