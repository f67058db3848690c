//! Against the real peers: placeholder.
