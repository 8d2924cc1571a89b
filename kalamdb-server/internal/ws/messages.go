package ws

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// inbound is any client message of the wire contract (docs/api.md); Type says
// which fields matter.
type inbound struct {
	Type string `json:"type"`

	// authenticate
	Method   string `json:"method"`
	Token    string `json:"token"`
	Username string `json:"username"`
	Password string `json:"password"`

	// subscribe
	Subscription *subscribeRequest `json:"subscription"`

	// next_batch, unsubscribe. next_batch's last_seq_id is accepted and
	// not used: the server continues from the last row it sent (see
	// live.Conn.NextBatch), so it is not decoded at all and any form of it
	// is fine.
	SubscriptionID string `json:"subscription_id"`
}

type subscribeRequest struct {
	ID      string         `json:"id"`
	SQL     string         `json:"sql"`
	Options *subscribeOpts `json:"options"`
}

type subscribeOpts struct {
	BatchSize int   `json:"batch_size"`
	LastRows  int   `json:"last_rows"`
	FromSeqID seqID `json:"from_seq_id"`
}

// subscriptionID is the subscription a refusal of this message is about.
func (in *inbound) subscriptionID() string {
	if in.Subscription != nil {
		return in.Subscription.ID
	}
	return in.SubscriptionID
}

// errBadSeqID is the decoding error of a from_seq_id that is no integer.
var errBadSeqID = errors.New("from_seq_id must be an integer (a number or a string of digits)")

// seqID is a _seq sent by a client: a JSON number, or a string holding
// one, since a JavaScript client can carry a 64-bit _seq exactly only as
// a string. null means none.
type seqID int64

func (s *seqID) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*s = 0
		return nil
	}
	text := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &text); err != nil {
			return err
		}
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return errBadSeqID
	}
	*s = seqID(n)
	return nil
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
