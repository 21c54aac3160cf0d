package sqlgen

// Unbind is unbind, for the external tests.
var Unbind = unbind
