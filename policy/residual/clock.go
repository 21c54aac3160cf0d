package residual

import (
	"time"

	"github.com/wardenpdp/warden/policy/model"
)

// Clock is the bound value of a clock word of a rule ("now()", "today",
// "tomorrow", "yesterday" on a date or time column): not a value fixed
// when the filter is computed but the clock of whoever evaluates it. SQL
// renderers read the database's clock; Eval reads Go's.
type Clock struct {
	// Word is model.ClockNow, ClockToday, ClockTomorrow or ClockYesterday.
	Word string
}

// At is the clock word's value at t in the canonical form of kind k.
func (c Clock) At(k model.Kind, t time.Time) string { return model.ClockValue(c.Word, k, t) }

// String is the word as a rule writes it.
func (c Clock) String() string {
	if c.Word == model.ClockNow {
		return "now()"
	}
	return c.Word
}
