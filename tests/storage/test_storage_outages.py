"""A PostgreSQL connection that died in the pool (server restart, idle kill) costs one retry, not an
error (an unreachable server is ``Unavailable``: see test_storage_migrations)."""

from __future__ import annotations

import sqlalchemy

from eksiam.storage import Store, open_store

ACCOUNT = "123456789012"


def _kill_pooled_connections(store: Store, postgres_url: str) -> int:
    """Terminate the server side of every idle connection the store keeps; how many there were."""
    idle = store._idle.values()  # type: ignore[attr-defined]
    pids = [pooled.driver_connection.info.backend_pid for stack in idle for pooled in stack]
    admin = sqlalchemy.create_engine(postgres_url, poolclass=sqlalchemy.NullPool)
    with admin.begin() as conn:
        for pid in pids:
            conn.exec_driver_sql("SELECT pg_terminate_backend(%(pid)s)", {"pid": pid})
    admin.dispose()
    return len(pids)


def test_dead_pooled_connections_are_replaced_transparently(postgres_schema_url: str) -> None:
    store = open_store(postgres_schema_url)
    try:
        admin_url = postgres_schema_url.split("?")[0]
        store.write(lambda uow: uow.put("role", ACCOUNT, "before", {"v": 1}))
        assert store.read(lambda uow: uow.count("role", ACCOUNT)) == 1
        assert _kill_pooled_connections(store, admin_url) == 2
        store.write(lambda uow: uow.put("role", ACCOUNT, "after", {"v": 2}))
        assert store.read(lambda uow: uow.count("role", ACCOUNT)) == 2
        assert _kill_pooled_connections(store, admin_url) == 2
        assert store.read(lambda uow: [key for key, _ in uow.list("role", ACCOUNT)]) == ["after", "before"]
        store.write(lambda uow: uow.delete("role", ACCOUNT, "before"))
        assert store.read(lambda uow: uow.count("role", ACCOUNT)) == 1

    finally:
        store.close()
