-- Seed data for the blog example: plain INSERTs that PostgreSQL, MariaDB and
-- SQLite (3.23+, for TRUE/FALSE) all accept. Timestamps are UTC.
--
-- Organisation 1 (Acme): alice (author), bob (author), erin (editor).
-- Organisation 2 (Globex): carol (author), dave (editor).
-- Which user is an author or an editor is up to the session's role; the
-- comments below say how the example sessions use them.

INSERT INTO organisations (id, name) VALUES (1, 'Acme');
INSERT INTO organisations (id, name) VALUES (2, 'Globex');

INSERT INTO users (id, org_id, name, email) VALUES (1, 1, 'Alice', 'alice@acme.example');
INSERT INTO users (id, org_id, name, email) VALUES (2, 1, 'Bob', 'bob@acme.example');
INSERT INTO users (id, org_id, name, email) VALUES (3, 2, 'Carol', 'carol@globex.example');
INSERT INTO users (id, org_id, name, email) VALUES (4, 2, 'Dave', 'dave@globex.example');
INSERT INTO users (id, org_id, name, email) VALUES (5, 1, 'Erin', 'erin@acme.example');

INSERT INTO articles (id, org_id, author_id, title, body, published, created_at)
  VALUES (1, 1, 1, 'Welcome to Acme', 'Our first post.', TRUE, '2024-01-10 09:00:00');
INSERT INTO articles (id, org_id, author_id, title, body, published, created_at)
  VALUES (2, 1, 1, 'Draft: roadmap', 'Not ready yet.', FALSE, '2024-01-12 10:30:00');
INSERT INTO articles (id, org_id, author_id, title, body, published, created_at)
  VALUES (3, 1, 2, 'Release notes 1.0', NULL, TRUE, '2024-02-01 14:00:00');
INSERT INTO articles (id, org_id, author_id, title, body, published, created_at)
  VALUES (4, 1, 2, 'Draft: pricing', 'Numbers TBD.', FALSE, '2024-02-03 08:15:00');
INSERT INTO articles (id, org_id, author_id, title, body, published, created_at)
  VALUES (5, 2, 3, 'Hello from Globex', 'We are live.', TRUE, '2024-01-20 12:00:00');
INSERT INTO articles (id, org_id, author_id, title, body, published, created_at)
  VALUES (6, 2, 3, 'Draft: hiring', 'Two roles open.', FALSE, '2024-02-10 16:45:00');
INSERT INTO articles (id, org_id, author_id, title, body, published, created_at)
  VALUES (7, 2, 4, 'Editorial guidelines', 'Be kind.', TRUE, '2024-02-11 11:11:11');
INSERT INTO articles (id, org_id, author_id, title, body, published, created_at)
  VALUES (8, 1, 5, 'Draft: style guide', NULL, FALSE, '2024-03-01 07:00:00');

INSERT INTO comments (id, article_id, author_id, body, created_at)
  VALUES (1, 1, 2, 'Great start!', '2024-01-10 10:00:00');
INSERT INTO comments (id, article_id, author_id, body, created_at)
  VALUES (2, 1, 5, 'Welcome aboard.', '2024-01-10 11:00:00');
INSERT INTO comments (id, article_id, author_id, body, created_at)
  VALUES (3, 3, 1, 'Congratulations on 1.0.', '2024-02-01 15:00:00');
INSERT INTO comments (id, article_id, author_id, body, created_at)
  VALUES (4, 2, 5, 'Needs a timeline.', '2024-01-13 09:00:00');
INSERT INTO comments (id, article_id, author_id, body, created_at)
  VALUES (5, 5, 4, 'Nice!', '2024-01-20 13:00:00');
INSERT INTO comments (id, article_id, author_id, body, created_at)
  VALUES (6, 7, 3, 'Agreed.', '2024-02-11 12:00:00');
INSERT INTO comments (id, article_id, author_id, body, created_at)
  VALUES (7, 6, 4, 'Which roles?', '2024-02-10 17:00:00');
INSERT INTO comments (id, article_id, author_id, body, created_at)
  VALUES (8, 3, 2, 'Thanks all.', '2024-02-02 09:30:00');
