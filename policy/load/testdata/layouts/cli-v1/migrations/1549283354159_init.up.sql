CREATE TABLE author (id serial PRIMARY KEY);
