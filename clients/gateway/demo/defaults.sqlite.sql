-- Defaults for the blog example's tables in SQLite, run after its
-- schema.sql and seed.sql: creation times for rows inserted through the
-- gateway, which the roles may not write (ids need none: an INTEGER
-- PRIMARY KEY numbers itself). SQLite cannot add a default to a column,
-- so the two tables are rebuilt with the same columns and rows.
CREATE TABLE articles_with_defaults (
  id INTEGER NOT NULL PRIMARY KEY,
  org_id INTEGER NOT NULL,
  author_id INTEGER NOT NULL,
  title TEXT NOT NULL,
  body TEXT,
  published BOOLEAN NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY (org_id) REFERENCES organisations (id),
  FOREIGN KEY (author_id) REFERENCES users (id)
);
INSERT INTO articles_with_defaults SELECT * FROM articles;
DROP TABLE articles;
ALTER TABLE articles_with_defaults RENAME TO articles;

CREATE TABLE comments_with_defaults (
  id INTEGER NOT NULL PRIMARY KEY,
  article_id INTEGER NOT NULL,
  author_id INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY (article_id) REFERENCES articles (id),
  FOREIGN KEY (author_id) REFERENCES users (id)
);
INSERT INTO comments_with_defaults SELECT * FROM comments;
DROP TABLE comments;
ALTER TABLE comments_with_defaults RENAME TO comments;
