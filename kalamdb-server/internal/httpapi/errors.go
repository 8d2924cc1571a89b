package httpapi

import (
	"net/http"

	"github.com/kalamdb/kalamdb-go/kalamdb-sql/apierror"
)

// Codes this package answers with that are not apierror codes because no
// lower layer can produce them.
const (
	// codeMethodNotAllowed answers a known path with the wrong method (405).
	codeMethodNotAllowed apierror.Code = "METHOD_NOT_ALLOWED"
	// codeClientClosed is recorded (logs, metrics; never sent) when the
	// client went away before its answer was ready.
	codeClientClosed apierror.Code = "CLIENT_CLOSED"
	// codeOK labels successful requests in metrics and logs.
	codeOK apierror.Code = "OK"
)

// statusClientClosed is nginx's 499, used only in logs and metrics.
const statusClientClosed = 499

// StatusForCode maps a wire error code to its HTTP status (the table in
// docs/api.md, "Error codes").
// Codes outside the table that a lower layer might still return are mapped
// to the closest meaning; anything unknown is a 500, since an unclassified
// code is a bug.
func StatusForCode(code apierror.Code) int {
	switch code {
	case apierror.InvalidSQL, apierror.BatchParseError, apierror.EmptySQL,
		apierror.InvalidParameter, apierror.ParamsWithBatch, apierror.InvalidInput,
		apierror.SQLExecutionError, apierror.QueryTimeout, apierror.ResourceLimitExceeded:
		return http.StatusBadRequest
	case apierror.NamespaceNotFound, apierror.TableNotFound, apierror.NotFound:
		return http.StatusNotFound
	case apierror.AlreadyExists:
		return http.StatusConflict
	case apierror.Unauthorized, apierror.AuthRequired:
		return http.StatusUnauthorized
	case apierror.PermissionDenied:
		return http.StatusForbidden
	case apierror.PayloadTooLarge, apierror.MessageTooLarge:
		return http.StatusRequestEntityTooLarge
	case apierror.RateLimitExceeded:
		return http.StatusTooManyRequests
	case apierror.Unsupported, apierror.UnsupportedData, apierror.InvalidSubscriptionID:
		return http.StatusBadRequest
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	default:
		return http.StatusInternalServerError
	}
}
