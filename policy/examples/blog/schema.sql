-- The blog example's tables, in SQL that PostgreSQL, MariaDB and SQLite all
-- accept. Foreign keys are table constraints because MariaDB ignores
-- column-level REFERENCES.
--
-- created_at is TIMESTAMP so that one file serves the three databases; the
-- values are UTC. schema.yaml declares it timestamptz, as a PostgreSQL-only
-- schema would (TIMESTAMPTZ); on PostgreSQL the two compare alike for UTC
-- values. On MariaDB before 10.10 set explicit_defaults_for_timestamp=ON so
-- that the column does not update itself.

CREATE TABLE organisations (
  id INTEGER NOT NULL PRIMARY KEY,
  name TEXT NOT NULL
);

CREATE TABLE users (
  id INTEGER NOT NULL PRIMARY KEY,
  org_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  email TEXT NOT NULL,
  FOREIGN KEY (org_id) REFERENCES organisations (id)
);

CREATE TABLE articles (
  id INTEGER NOT NULL PRIMARY KEY,
  org_id INTEGER NOT NULL,
  author_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  body TEXT,
  published BOOLEAN NOT NULL,
  created_at TIMESTAMP NOT NULL,
  FOREIGN KEY (org_id) REFERENCES organisations (id),
  FOREIGN KEY (author_id) REFERENCES users (id)
);

CREATE TABLE comments (
  id INTEGER NOT NULL PRIMARY KEY,
  article_id INTEGER NOT NULL,
  author_id INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  FOREIGN KEY (article_id) REFERENCES articles (id),
  FOREIGN KEY (author_id) REFERENCES users (id)
);
