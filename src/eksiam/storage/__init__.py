"""Persistence behind a small interface; one SQL implementation for SQLite and PostgreSQL."""
