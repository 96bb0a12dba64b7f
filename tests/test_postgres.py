"""The `postgres` fixture gives a real server that nbgrader's gradebook works against."""
import sqlalchemy
from nbgrader.api import Gradebook
from postgres import postgres  # noqa: F401

import autograder  # noqa: F401  (puts the venv's bin on PATH: nbgrader runs `alembic`)


def test_gradebook_on_postgres(postgres):
    url = postgres.new_database()
    with Gradebook(url, "dl4nlp") as gradebook:
        gradebook.update_or_create_student("s1", first_name="Ada")
    with Gradebook(url, "dl4nlp") as another_connection:
        assert [s.id for s in another_connection.students] == ["s1"]
        assert another_connection.find_student("s1").first_name == "Ada"


def run_sql(url, statement):
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.begin() as connection:
            result = connection.execute(sqlalchemy.text(statement))
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


# Plain SQL, not a Gradebook: each new gradebook costs nbgrader ~4 s of `alembic heads`.
def test_new_databases_are_independent(postgres):
    first, second = postgres.new_database(), postgres.new_database()
    assert first != second
    run_sql(first, "CREATE TABLE only_in_first (id int)")
    tables = "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    assert run_sql(first, tables) == [("only_in_first",)]
    assert run_sql(second, tables) == []
