package rls

// ListFunctionSQL exposes listFunctionSQL to the tests of package rls_test.
var ListFunctionSQL = listFunctionSQL
