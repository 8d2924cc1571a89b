package ws

import (
	"errors"
	"strconv"

	"github.com/kalamdb/kalamdb-go/kalamdb-server/internal/jsonstrict"
)

// inbound is any client message of the wire contract (docs/api.md); Type says
// which fields matter.
type inbound struct {
	Type string

	// authenticate
	Method   string
	Token    string
	Username string
	Password string

	// subscribe
	Subscription *subscribeRequest

	// next_batch, unsubscribe. next_batch's last_seq_id is accepted and
	// not used: the server continues from the last row it sent (see
	// live.Conn.NextBatch), so any form of it is fine.
	SubscriptionID string
}

type subscribeRequest struct {
	ID      string
	SQL     string
	Options *subscribeOpts
}

type subscribeOpts struct {
	BatchSize int
	LastRows  int
	FromSeqID int64
}

// The fields of each object of a client message, exactly spelled: a
// field that differs only in case is refused (two readers could take
// {"type":"subscribe","TYPE":"unsubscribe"} for different requests).
var (
	inboundFields      = []string{"type", "method", "token", "username", "password", "subscription", "subscription_id", "last_seq_id"}
	subscriptionFields = []string{"id", "sql", "options"}
	optionFields       = []string{"batch_size", "last_rows", "from_seq_id"}
)

// decodeInbound decodes a client message strictly (jsonstrict): one JSON
// object, no key twice, text that is UTF-8, known fields in their exact
// spelling and of their types. Unknown fields are ignored.
func decodeInbound(data []byte) (inbound, error) {
	var in inbound
	o, err := jsonstrict.DecodeObject(data, inboundFields...)
	if err != nil {
		return inbound{}, err
	}
	for _, f := range []struct {
		name string
		to   *string
	}{{"type", &in.Type}, {"method", &in.Method}, {"token", &in.Token}, {"username", &in.Username},
		{"password", &in.Password}, {"subscription_id", &in.SubscriptionID}} {
		if err := stringInto(o, f.name, f.to); err != nil {
			return inbound{}, err
		}
	}
	sub, ok, err := o.Object("subscription", subscriptionFields...)
	if err != nil || !ok {
		return in, err
	}
	in.Subscription = &subscribeRequest{}
	if err := stringInto(sub, "id", &in.Subscription.ID); err != nil {
		return inbound{}, err
	}
	if err := stringInto(sub, "sql", &in.Subscription.SQL); err != nil {
		return inbound{}, err
	}
	opts, ok, err := sub.Object("options", optionFields...)
	if err != nil || !ok {
		return in, err
	}
	in.Subscription.Options = &subscribeOpts{}
	for _, f := range []struct {
		name string
		to   *int
	}{{"batch_size", &in.Subscription.Options.BatchSize}, {"last_rows", &in.Subscription.Options.LastRows}} {
		n, err := opts.Int(f.name)
		if err != nil {
			return inbound{}, err
		}
		*f.to = int(n)
	}
	if in.Subscription.Options.FromSeqID, err = seqID(opts); err != nil {
		return inbound{}, err
	}
	return in, nil
}

func stringInto(o jsonstrict.Object, name string, to *string) error {
	v, err := o.String(name)
	if v != nil {
		*to = *v
	}
	return err
}

// errBadSeqID is the decoding error of a from_seq_id that is no integer.
var errBadSeqID = errors.New("from_seq_id must be an integer (a number or a string of digits)")

// seqID is the options' from_seq_id: a JSON number, or a string holding
// one, since a JavaScript client can carry a 64-bit _seq exactly only as
// a string. null or absent means none.
func seqID(opts jsonstrict.Object) (int64, error) {
	text, err := opts.String("from_seq_id")
	if err != nil {
		// A number, or something else.
		n, numErr := opts.Int("from_seq_id")
		if numErr != nil {
			return 0, errBadSeqID
		}
		return n, nil
	}
	if text == nil {
		return 0, nil
	}
	n, err := strconv.ParseInt(*text, 10, 64)
	if err != nil {
		return 0, errBadSeqID
	}
	return n, nil
}

// subscriptionID is the subscription a refusal of this message is about.
func (in *inbound) subscriptionID() string {
	if in.Subscription != nil {
		return in.Subscription.ID
	}
	return in.SubscriptionID
}

// authSuccess and authError answer an authenticate message.
type authSuccess struct {
	Type   string `json:"type"`
	UserID string `json:"user_id"`
	Role   string `json:"role"`
}

type authError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}
