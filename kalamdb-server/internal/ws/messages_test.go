package ws

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSubscribeOptionsDecoding(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		bad  bool
	}{
		{`{"from_seq_id": 385270454073425921}`, 385270454073425921, false},
		{`{"from_seq_id": "385270454073425921"}`, 385270454073425921, false}, // JavaScript clients
		{`{"from_seq_id": null}`, 0, false},
		{`{}`, 0, false},
		{`{"from_seq_id": "12abc"}`, 0, true},
		{`{"from_seq_id": 1.5}`, 0, true},
		{`{"from_seq_id": true}`, 0, true},
		{`{"from_seq_id": "99999999999999999999"}`, 0, true}, // overflows int64
	} {
		var o subscribeOpts
		err := json.Unmarshal([]byte(tc.in), &o)
		if tc.bad {
			if err == nil {
				t.Errorf("%s: accepted as %d", tc.in, o.FromSeqID)
			} else if p := jsonProblem(err); p != errBadSeqID.Error() {
				t.Errorf("%s: problem %q", tc.in, p)
			}
			continue
		}
		if err != nil || int64(o.FromSeqID) != tc.want {
			t.Errorf("%s: got %d, %v", tc.in, o.FromSeqID, err)
		}
	}
}

func TestJSONProblemDoesNotEchoInput(t *testing.T) {
	secret := "hunter2-password"
	for _, raw := range []string{
		`{"type": "authenticate", "password": "` + secret,
		`{"type": "subscribe", "subscription": {"id": 5, "sql": "` + secret + `"}}`,
	} {
		var in inbound
		err := json.Unmarshal([]byte(raw), &in)
		if err == nil {
			t.Fatalf("%s decoded", raw)
		}
		if p := jsonProblem(err); strings.Contains(p, secret) || p == "" {
			t.Errorf("problem %q for %s", p, raw)
		}
	}
}

func TestSubscriptionIDOfARefusal(t *testing.T) {
	var in inbound
	if err := json.Unmarshal([]byte(`{"type":"subscribe","subscription":{"id":"msgs","sql":"x"}}`), &in); err != nil {
		t.Fatal(err)
	}
	if in.subscriptionID() != "msgs" {
		t.Fatalf("subscribe: %q", in.subscriptionID())
	}
	in = inbound{}
	if err := json.Unmarshal([]byte(`{"type":"unsubscribe","subscription_id":"s2"}`), &in); err != nil {
		t.Fatal(err)
	}
	if in.subscriptionID() != "s2" {
		t.Fatalf("unsubscribe: %q", in.subscriptionID())
	}
}
