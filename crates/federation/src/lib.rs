//! Federation between Concord nodes: identity and keys, signed object envelopes, HTTP
//! Message Signatures (RFC 9421), peers, and the sync protocol (pull with cursors, live
//! change notices).
