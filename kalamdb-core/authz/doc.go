// Package authz decides every permission of the database in one place:
// the roles DDL and administration need, who reads and writes a SHARED
// table of each access level, who reads which system table (and which of
// its rows), the EXECUTE AS matrix and what it may wrap, user management
// (who may create, alter or drop whom, one's own password and role), SHOW
// STATS scopes, live query subscriptions and KILL LIVE QUERY.
//
// Every decision is a pure function of who asks (role, user id) and of
// the object (a table's metadata, a user, a statement kind), returning nil
// or a typed *apierror.Error, so it can be tested without a database and
// read in one sitting. Callers ask at the point where they act; the
// package holds no state. Isolation of USER and STREAM tables is not a
// permission but a property of the table provider (package engine), and
// is not decided here.
package authz
