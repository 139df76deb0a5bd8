//! Fuzz target `control_decode`: arbitrary bytes through every decoder of the control
//! protocol that init's server and initctl's client run on what arrives from the other
//! side — the length prefix, frame splitting, request and response bodies — and then through
//! the checks the server makes on a decoded request. Any panic is a bug: anybody can connect
//! to PID 1's socket. A body that decodes must also be the protocol's one encoding of what
//! it decoded to.

#![no_main]

use kindling::control::protocol::{self, LENGTH_BYTES, MAX_REQUEST, MAX_RESPONSE};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The server's and the client's reads: a 4-byte prefix, then that many bytes.
    if let Some(prefix) = data.get(..LENGTH_BYTES) {
        let mut word = [0u8; LENGTH_BYTES];
        word.copy_from_slice(prefix);
        let _ = protocol::body_length(word, MAX_REQUEST);
        let _ = protocol::body_length(word, MAX_RESPONSE);
    }
    for max in [MAX_REQUEST, MAX_RESPONSE] {
        let mut rest = data;
        while let Ok((body, tail)) = protocol::split_frame(rest, max) {
            body_both_ways(body);
            rest = tail;
        }
    }
    body_both_ways(data);
});

fn body_both_ways(body: &[u8]) {
    if let Ok(request) = protocol::decode_request(body) {
        let _ = request.job();
        let _ = request.read_only();
        let _ = request.validate();
        let _ = request.authorise(0);
        let _ = request.authorise(1000);
        let frame = protocol::encode_request(&request).expect("a decoded request fits a frame");
        assert_eq!(
            &frame[LENGTH_BYTES..],
            body,
            "request encoding is not canonical"
        );
    }
    if let Ok(response) = protocol::decode_response(body) {
        let frame = protocol::encode_response(&response);
        assert_eq!(
            &frame[LENGTH_BYTES..],
            body,
            "response encoding is not canonical"
        );
    }
}
