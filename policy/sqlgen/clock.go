package sqlgen

import (
	"fmt"

	"github.com/wardenpdp/warden/policy/model"
)

// clockSQL is a rule's clock word (model.ClockWord) read from the
// database's clock when the query runs, in UTC as Check reads it: "now" the
// instant, "today" midnight, "tomorrow" and "yesterday" the midnights a day
// away, a day on a date column; in the form each dialect stores the kind
// in (SQLite: Warden's canonical text).
func clockSQL(d Dialect, k model.Kind, word string) (string, error) {
	days := map[string]int{model.ClockToday: 0, model.ClockTomorrow: 1, model.ClockYesterday: -1}[word]
	now := word == model.ClockNow
	switch d {
	case Postgres:
		utc := "(now() AT TIME ZONE 'UTC')"
		day := fmt.Sprintf("(%s::date + %d)", utc, days)
		switch {
		case k == model.KindDate && now:
			return utc + "::date", nil
		case k == model.KindDate:
			return day, nil
		case k == model.KindTimestamptz && now:
			return "now()", nil
		case k == model.KindTimestamptz:
			return "(" + day + "::timestamp AT TIME ZONE 'UTC')", nil
		case now:
			return utc, nil
		default:
			return day + "::timestamp", nil
		}
	case MySQL:
		day := fmt.Sprintf("(UTC_DATE() + INTERVAL %d DAY)", days)
		switch {
		case k == model.KindDate && now:
			return "UTC_DATE()", nil
		case k == model.KindDate:
			return day, nil
		case now:
			return "UTC_TIMESTAMP(6)", nil
		default:
			return "CAST(" + day + " AS DATETIME(6))", nil
		}
	case SQLite:
		zone := ""
		if k == model.KindTimestamptz {
			zone = "Z"
		}
		day := fmt.Sprintf("date('now', '%+d day')", days)
		switch {
		case k == model.KindDate && now:
			return "date('now')", nil
		case k == model.KindDate:
			return day, nil
		case now:
			// %f is seconds with milliseconds: the canonical form has
			// microseconds.
			return "(strftime('%Y-%m-%dT%H:%M:%f', 'now') || '000" + zone + "')", nil
		default:
			return "(" + day + " || 'T00:00:00.000000" + zone + "')", nil
		}
	}
	return "", fmt.Errorf("sqlgen: no clock in dialect %s", d)
}
