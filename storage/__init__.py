"""Storage for Nära: SQLAlchemy 2 async models, queries and Alembic migrations."""
