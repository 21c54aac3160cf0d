package model

import (
	"strings"
	"time"
)

// PostgreSQL's special date/time inputs that depend on when they are read:
// a rule value "now()" (or "now"), "today", "tomorrow" or "yesterday" on a
// date, timestamp or timestamptz column is the time of the decision, never
// the time the policy was loaded. Check reads the clock per request (in
// UTC); Filter's SQL leaves it to the database.

// The clock words.
const (
	ClockNow       = "now"
	ClockToday     = "today"
	ClockTomorrow  = "tomorrow"
	ClockYesterday = "yesterday"
)

// ClockPrefix starts the name of the pseudo session variable that carries a
// clock word through the session machinery ("@now"): no Hasura session
// variable can have it.
const ClockPrefix = "@"

// ClockWord recognises a clock word as PostgreSQL's date/time input does:
// case-insensitive, surrounding spaces ignored, "now()" as "now".
func ClockWord(s string) (string, bool) {
	w := strings.ToLower(strings.TrimSpace(s))
	if w == "now()" {
		w = ClockNow
	}
	switch w {
	case ClockNow, ClockToday, ClockTomorrow, ClockYesterday:
		return w, true
	}
	return "", false
}

// IsClockKind says whether a column kind takes clock words.
func IsClockKind(k Kind) bool {
	return k == KindDate || k == KindTimestamp || k == KindTimestamptz
}

// ClockValue is a clock word's value at t in the canonical form of kind k
// (UTC): now the instant, today midnight, tomorrow and yesterday the
// midnights a day away; on a date column the day.
func ClockValue(word string, k Kind, t time.Time) string {
	t = t.UTC()
	if word != ClockNow || k == KindDate {
		day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		switch word {
		case ClockTomorrow:
			day = day.AddDate(0, 0, 1)
		case ClockYesterday:
			day = day.AddDate(0, 0, -1)
		}
		t = day
	}
	switch k {
	case KindDate:
		return t.Format("2006-01-02")
	case KindTimestamp:
		return t.Format("2006-01-02T15:04:05.000000")
	}
	return t.Format("2006-01-02T15:04:05.000000Z")
}
