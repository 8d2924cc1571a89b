package ws

import (
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
		in, err := decodeInbound([]byte(`{"type":"subscribe","subscription":{"id":"s","sql":"x","options":` + tc.in + `}}`))
		if tc.bad {
			if err == nil {
				t.Errorf("%s: accepted as %d", tc.in, in.Subscription.Options.FromSeqID)
			} else if p := jsonProblem(err); p != errBadSeqID.Error() {
				t.Errorf("%s: problem %q", tc.in, p)
			}
			continue
		}
		if err != nil || in.Subscription.Options.FromSeqID != tc.want {
			t.Errorf("%s: got %+v, %v", tc.in, in.Subscription, err)
		}
	}
	in, err := decodeInbound([]byte(`{"type":"subscribe","subscription":{"id":"s","sql":"x","options":{"batch_size":50,"last_rows":7}}}`))
	if err != nil || *in.Subscription.Options != (subscribeOpts{BatchSize: 50, LastRows: 7}) {
		t.Fatalf("options: %+v, %v", in.Subscription.Options, err)
	}
}

func TestJSONProblemDoesNotEchoInput(t *testing.T) {
	secret := "hunter2-password"
	for _, raw := range []string{
		`{"type": "authenticate", "password": "` + secret,
		`{"type": "subscribe", "subscription": {"id": 5, "sql": "` + secret + `"}}`,
		`{"type": "authenticate", "password": "` + secret + "\xff\"}",
	} {
		_, err := decodeInbound([]byte(raw))
		if err == nil {
			t.Fatalf("%s decoded", raw)
		}
		if p := jsonProblem(err); strings.Contains(p, secret) || p == "" {
			t.Errorf("problem %q for %s", p, raw)
		}
	}
}

// Messages decode as strictly as HTTP bodies: a known field in another
// case, a key given twice, text that is not UTF-8 and a field of the
// wrong type are refused, so no two parsers can read one message as two
// different requests. Unknown fields are ignored.
func TestMessagesDecodeStrictly(t *testing.T) {
	for raw, want := range map[string]string{
		`{"type":"subscribe","subscription":{"id":"a","sql":"x"},"TYPE":"unsubscribe"}`:       `field "TYPE" is not "type": field names are case-sensitive`,
		`{"type":"subscribe","subscription":{"id":"a","sql":"x","SQL":"y"}}`:                  `field "subscription.SQL" is not "subscription.sql": field names are case-sensitive`,
		`{"Type":"unsubscribe","subscription_id":"a"}`:                                        `field "Type" is not "type": field names are case-sensitive`,
		`{"type":"subscribe","subscription":{"id":"a","sql":"x","options":{"Batch_Size":1}}}`: `field "subscription.options.Batch_Size" is not "subscription.options.batch_size": field names are case-sensitive`,
		`{"type":"authenticate","token":"a","token":"b"}`:                                     `duplicate key "token"`,
		`{"type":"subscribe","subscription":{"id":"a","sql":"x","sql":"y"}}`:                  `duplicate key "sql" in subscription`,
		"{\"type\":\"subscribe\",\"subscription\":{\"id\":\"a\",\"sql\":\"x\xff\"}}":          "invalid JSON at byte 53: invalid UTF-8 in string (text must be UTF-8)",
		`{"type":"unsubscribe","subscription_id":"\ud800"}`:                                   `invalid JSON at byte 41: lone UTF-16 surrogate \ud800 in string (text must be UTF-8)`,
		`{"type":5}`: `field "type" must be a string, not number`,
		`{"type":"subscribe","subscription":"x"}`:      `field "subscription" must be an object, not string`,
		`{"type":"subscribe","subscription":{"id":1}}`: `field "subscription.id" must be a string, not number`,
		`["subscribe"]`: "a message is a JSON object, not array",
	} {
		_, err := decodeInbound([]byte(raw))
		if err == nil {
			t.Errorf("%s: accepted", raw)
			continue
		}
		if got := jsonProblem(err); got != want {
			t.Errorf("%s:\n got %s\nwant %s", raw, got, want)
		}
	}
	in, err := decodeInbound([]byte(`{"type":"next_batch","subscription_id":"a","last_seq_id":"123","client":"x","Client":"y"}`))
	if err != nil || in.Type != "next_batch" || in.SubscriptionID != "a" {
		t.Fatalf("unknown fields: %+v, %v", in, err)
	}
}

func TestSubscriptionIDOfARefusal(t *testing.T) {
	in, err := decodeInbound([]byte(`{"type":"subscribe","subscription":{"id":"msgs","sql":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if in.subscriptionID() != "msgs" {
		t.Fatalf("subscribe: %q", in.subscriptionID())
	}
	in, err = decodeInbound([]byte(`{"type":"unsubscribe","subscription_id":"s2"}`))
	if err != nil {
		t.Fatal(err)
	}
	if in.subscriptionID() != "s2" {
		t.Fatalf("unsubscribe: %q", in.subscriptionID())
	}
}
