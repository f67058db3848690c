//! Sovereign outbound policy: pure functions from (object, destination, agreement) to a
//! decision (send, send redacted, withhold) with the rule behind each part. No I/O.
