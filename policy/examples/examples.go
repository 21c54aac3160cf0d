// Package examples embeds the example policy sets, ready for load.FS.
package examples

import (
	"embed"
	"io/fs"
)

//go:embed blog
var blog embed.FS

// Blog returns the multi-tenant blog example: Hasura v2 metadata in the
// directory layout, schema.yaml, and schema.sql and seed.sql to create and
// fill the tables in PostgreSQL, MariaDB or SQLite. The blog directory is
// the root of the returned FS.
func Blog() fs.FS {
	sub, err := fs.Sub(blog, "blog")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
