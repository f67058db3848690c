//! Every reader on realistic sample lines, with a malformed line in the middle.

use std::collections::HashMap;

use super::*;
use crate::observation::Observable;

fn values(format: &Format, text: &str) -> (Vec<Vec<String>>, Vec<u64>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for r in read(text.as_bytes(), format) {
        match r {
            Ok(o) => ok.push(
                o.observables
                    .iter()
                    .map(|ob: &Observable| format!("{}={}", ob.kind.short_name(), ob.value))
                    .collect(),
            ),
            Err(e) => bad.push(e.line),
        }
    }
    (ok, bad)
}

#[test]
fn eve() {
    let text = r#"{"timestamp":"2024-03-01T10:00:00.123456+0100","event_type":"dns","src_ip":"10.0.0.5","src_port":5353,"dest_ip":"8.8.8.8","dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"Evil.Example.","query":[{"rrname":"x.example"}]}}
{"timestamp":"2024-03-01T10:00:01Z","event_type":"http","src_ip":"10.0.0.5","dest_ip":"2001:db8::1","dest_port":80,"http":{"hostname":"Example.COM","url":"/a%7eb"}}
{"oops
{"event_type":"tls","src_ip":"10.0.0.5","dest_ip":"192.0.2.1","tls":{"sni":"c2.example","fingerprint":"DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09"}}
{"event_type":"fileinfo","fileinfo":{"filename":"a.exe","md5":"d41d8cd98f00b204e9800998ecf8427e","sha256":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"},"email":{"from":"Bob <bob@example.org>"}}
"#;
    let (ok, bad) = values(&Format::Eve, text);
    assert_eq!(bad, [3]);
    assert_eq!(
        ok[0],
        [
            "ipv4=10.0.0.5",
            "ipv4=8.8.8.8",
            "domain=evil.example",
            "domain=x.example"
        ]
    );
    assert_eq!(
        ok[1],
        [
            "ipv4=10.0.0.5",
            "ipv6=2001:db8::1",
            "domain=example.com",
            "url=http://example.com/a~b"
        ]
    );
    assert_eq!(
        ok[2][3],
        "x509-sha1=da39a3ee5e6b4b0d3255bfef95601890afd80709"
    );
    assert_eq!(ok[3].len(), 3, "{:?}", ok[3]);
    let first = read(text.as_bytes(), &Format::Eve).next().unwrap().unwrap();
    assert_eq!(
        first.timestamp.unwrap().to_string(),
        "2024-03-01T09:00:00.123456Z"
    );
    assert_eq!(first.flow.unwrap().dst_port, Some(53));
}

#[test]
fn zeek() {
    let text = r#"{"ts":1709287200.5,"uid":"C1","id.orig_h":"10.0.0.5","id.orig_p":49152,"id.resp_h":"192.0.2.1","id.resp_p":53,"proto":"udp","query":"bad.example"}
not json
{"ts":1709287201.0,"id.orig_h":"10.0.0.5","id.resp_h":"192.0.2.2","host":"www.example.com","uri":"/x"}
{"ts":1709287202.0,"id.orig_h":"10.0.0.5","id.resp_h":"192.0.2.3","server_name":"tls.example"}
{"ts":1709287203.0,"md5":"d41d8cd98f00b204e9800998ecf8427e","sha1":"da39a3ee5e6b4b0d3255bfef95601890afd80709","tx_hosts":["192.0.2.4"]}
"#;
    let (ok, bad) = values(&Format::Zeek, text);
    assert_eq!(bad, [2]);
    assert_eq!(ok[0][2], "domain=bad.example");
    assert_eq!(ok[1][3], "url=http://www.example.com/x");
    assert_eq!(ok[2][2], "domain=tls.example");
    assert_eq!(
        ok[3],
        [
            "md5=d41d8cd98f00b204e9800998ecf8427e",
            "sha1=da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "ipv4=192.0.2.4"
        ]
    );
    let first = read(text.as_bytes(), &Format::Zeek)
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(
        first.timestamp.unwrap().to_string(),
        "2024-03-01T10:00:00.5Z"
    );
}

#[test]
fn ecs() {
    let text = r#"{"@timestamp":"2024-03-01T10:00:00.000Z","source":{"ip":"10.0.0.5","port":1234},"destination":{"ip":"192.0.2.1","port":443},"url":{"full":"HTTPS://Bad.Example:443/login"}}
{"@timestamp":"2024-03-01T10:00:01Z","dns":{"question":{"name":"q.example"}},"file":{"hash":{"sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}}
[1,2]
{"source.ip":"10.0.0.6","email":{"from":{"address":["Eve@Example.org"]}},"url.domain":"d.example"}
"#;
    let (ok, bad) = values(&Format::Ecs, text);
    assert_eq!(bad, [3]);
    assert_eq!(ok[0][2], "url=https://bad.example/login");
    assert_eq!(
        ok[1],
        [
            "domain=q.example",
            "sha256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        ]
    );
    assert_eq!(
        ok[2],
        ["ipv4=10.0.0.6", "domain=d.example", "email=eve@example.org"]
    );
}

#[test]
fn csv_by_name_and_by_map() {
    let text = "timestamp,src_ip,domain,note\n2024-03-01 10:00:00,10.0.0.5,Bad.Example,\"a, b\"\n1,2\n,2001:db8::2,,\"x\"\"y\"\n";
    let (ok, bad) = values(&Format::Csv(CsvColumns::default()), text);
    assert_eq!(bad, [3]);
    assert_eq!(
        ok,
        [
            vec!["ipv4=10.0.0.5", "domain=bad.example"],
            vec!["ipv6=2001:db8::2"]
        ]
    );
    let cols = CsvColumns {
        columns: Some(HashMap::from([("note".to_string(), Kind::FileName)])),
        time_column: None,
    };
    let (ok, _) = values(&Format::Csv(cols), text);
    assert_eq!(ok[0], ["file-name=a, b"]);
    let (_, bad) = values(&Format::Csv(CsvColumns::default()), "a,b\n1,2\n");
    assert_eq!(bad, [1, 2], "no header yet: every line is tried as one");
}

#[test]
fn lines_detect_kinds() {
    let text = "10.0.0.1\n2001:db8::/32\n# comment\nhttp://x.example/\nbob@example.org\n???\nd41d8cd98f00b204e9800998ecf8427e\nda39a3ee5e6b4b0d3255bfef95601890afd80709\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n00:1a:2b:3c:4d:5e\nAS64500\nExample.COM\n\n";
    let (ok, bad) = values(&Format::Lines, text);
    assert_eq!(bad, [6]);
    let kinds: Vec<&str> = ok.iter().map(|o| o[0].split('=').next().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "ipv4", "ipv6", "url", "email", "md5", "sha1", "sha256", "mac", "asn", "domain"
        ]
    );
    let (_, bad) = values(&Format::Lines, "a.example\n\u{0}\u{fffd}\n");
    assert_eq!(bad, [2]);
    let mut bytes = b"a.example\n".to_vec();
    bytes.extend_from_slice(b"\xff\xfe\nb.example\n");
    let errs: Vec<_> = read(&bytes[..], &Format::Lines)
        .filter_map(Result::err)
        .collect();
    assert_eq!(
        errs[0].to_string(),
        "line 2: unreadable: not UTF-8 at byte 0"
    );
}

#[test]
fn stix_observed_data() {
    let bundle = r#"{"type":"bundle","id":"bundle--1","objects":[
      {"type":"observed-data","id":"observed-data--1","first_observed":"2024-03-01T10:00:00Z","last_observed":"2024-03-01T11:00:00Z","number_observed":1,"object_refs":["ipv4-addr--1","file--1"]},
      {"type":"ipv4-addr","id":"ipv4-addr--1","value":"198.51.100.7"},
      {"type":"file","id":"file--1","name":"a.exe","hashes":{"SHA-256":"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}},
      {"type":"observed-data","id":"observed-data--2","object_refs":["ipv4-addr--404"]}
    ]}"#;
    let (ok, bad) = values(&Format::Stix, bundle);
    assert_eq!(bad, [4]);
    assert_eq!(ok[0].len(), 3);
    let arr = r#"[{"type":"observed-data","id":"observed-data--3","objects":{"0":{"type":"domain-name","value":"a.example"}}}]"#;
    assert_eq!(values(&Format::Stix, arr).0, [vec!["domain=a.example"]]);
    let jsonl = "{\"type\":\"observed-data\",\"objects\":{\"0\":{\"type\":\"url\",\"value\":\"http://a/\"}}}\n{bad\n";
    let (ok, bad) = values(&Format::Stix, jsonl);
    assert_eq!((ok.len(), bad), (1, vec![2]));
}

/// Lines read in place (`each_line` + `record_into`, as `Matcher::match_reader` does)
/// give what `read` gives: same observations and errors, with lines split across buffer
/// fills, CRLF ends, a line that is not UTF-8 and no newline at the end.
#[test]
fn in_place_reading_equals_read() {
    let mut text = include_bytes!("../../tests/data/eve.json").to_vec();
    text.extend_from_slice(
        b"{\"src_ip\":\"10.9.9.9\"}\r\n\xff\xfe{}\n\r\n   \n# x\n198.51.100.7\r\n",
    );
    text.extend_from_slice(b"{\"dest_ip\":\"10.8.8.8\"}");
    for format in [Format::Eve, Format::Lines] {
        let expected: Vec<Result<Observation, LineError>> = read(&text[..], &format).collect();
        for capacity in [1, 7, 64, 8192] {
            let mut got = Vec::new();
            let input = std::io::BufReader::with_capacity(capacity, &text[..]);
            each_line(input, 0, &mut |n, line| {
                let mut obs = Observation::default();
                match line.and_then(|l| record_into(&format, n, l, &mut obs).transpose()) {
                    Ok(Some(())) => got.push(Ok(obs)),
                    Ok(None) => {}
                    Err(e) => got.push(Err(e)),
                }
            });
            assert_eq!(got, expected, "{format:?}, buffer of {capacity}");
        }
        let ok = expected.iter().filter(|r| r.is_ok()).count();
        assert!(
            ok >= 1 && ok < expected.len(),
            "{format:?}: {ok} of {}",
            expected.len()
        );
    }
}

/// One observation reused line after line (as `Matcher::match_reader`'s batches are):
/// every line reads as into a fresh one, whether the line before had more or fewer
/// observables, a flow or none, and whatever the values' shapes (IPv6, upper-case and
/// colon-separated hashes, non-ASCII and invalid domains, absolute URLs).
#[test]
fn reused_observation_reads_as_a_fresh_one() {
    let mut text = include_bytes!("../../tests/data/eve.json").to_vec();
    text.extend_from_slice(
        concat!(
            r#"{"src_ip":"10.1.1.1","dest_ip":"2001:DB8::1","proto":"UDP","app_proto":"DNS","dns":{"rrname":"A.Example.","answers":[{"rrname":"b.example"},{"rrname":"ÉCOLE.example"},{"rrname":"bad host"}]},"fileinfo":{"md5":"D41D8CD98F00B204E9800998ECF8427E","sha1":"da39a3ee5e6b4b0d3255bfef95601890afd80709","sha256":"e3b0","filename":"x.exe"},"email":{"from":"<A@B.example>","to":["c@d.example"]}}"#,
            "\n",
            r#"{"dest_ip":" 192.0.2.1 ","dest_port":443,"http":{"hostname":"WWW.example","url":"/a"}}"#,
            "\n",
            r#"{"timestamp":"2026-01-01T00:00:00Z"}"#,
            "\n",
            r#"{"src_ip":"01.2.3.4","http":{"hostname":".x","url":"HTTP://Y.example/b"},"tls":{"sni":"s.example.","fingerprint":"DA:39:A3:EE:5E:6B:4B:0D:32:55:BF:EF:95:60:18:90:AF:D8:07:09"}}"#,
            "\n",
            r#"{"src_ip":"10.0.0.1","dest_ip":"10.0.0.2","proto":"TCP","dns":{"rrname":"x\u0041.example"}}"#,
            "\n",
        )
        .as_bytes(),
    );
    let expected: Vec<Result<Observation, LineError>> = read(&text[..], &Format::Eve).collect();
    for order in [false, true] {
        let mut lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
        if order {
            lines.reverse();
        }
        let joined = lines.join(&b'\n');
        let expected: Vec<Result<Observation, LineError>> = if order {
            read(&joined[..], &Format::Eve).collect()
        } else {
            expected.clone()
        };
        let mut got = Vec::new();
        let mut obs = Observation::default();
        each_line(&joined[..], 0, &mut |n, line| match line
            .and_then(|l| record_into(&Format::Eve, n, l, &mut obs).transpose())
        {
            Ok(Some(())) => got.push(Ok(obs.clone())),
            Ok(None) => {}
            Err(e) => got.push(Err(e)),
        });
        assert_eq!(got, expected, "reversed: {order}");
    }
    // One per line, the same way.
    let text = "10.0.0.1\nD41D8CD98F00B204E9800998ECF8427E\nd41d8cd98f00b204e9800998ecf8427e\n\
        Example.COM\n01.2.3.4\nnot a value\n2001:DB8::1\n10.0.0.0/8\nhttp://A.example\n\
        b@c.example\naa-bb-cc-dd-ee-ff\nAS64500\nda39a3ee5e6b4b0d3255bfef95601890afd80709\n";
    let expected: Vec<Result<Observation, LineError>> =
        read(text.as_bytes(), &Format::Lines).collect();
    let mut got = Vec::new();
    let mut obs = Observation::default();
    each_line(text.as_bytes(), 0, &mut |n, line| match line
        .and_then(|l| record_into(&Format::Lines, n, l, &mut obs).transpose())
    {
        Ok(Some(())) => got.push(Ok(obs.clone())),
        Ok(None) => {}
        Err(e) => got.push(Err(e)),
    });
    assert_eq!(got, expected);
}

/// A line that is not UTF-8 is an error of its own: the lines before and after it in the
/// same fill stay whole blocks (matched in batches), numbered on.
#[test]
fn a_bad_line_splits_a_block_and_only_itself_is_an_error() {
    let text = b"a\nb\n\xff x\nc\r\nd\n\n\x80\ne";
    let mut got = Vec::new();
    each_block(&text[..], 0, &mut |n, b| {
        got.push((n, b.map(str::to_owned).map_err(|e| e.to_string())));
    });
    let ok = |n, s: &str| (n, Ok(s.to_owned()));
    let bad = |n: u64| (n, Err(format!("line {n}: unreadable: not UTF-8 at byte 0")));
    assert_eq!(
        got,
        [ok(1, "a\nb"), bad(3), ok(4, "c\r\nd\n"), bad(7), ok(8, "e")]
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
    /// A one-per-line value read in place (`Refill::detect`'s shortcuts for addresses,
    /// digests and domain names, into an observation that held another line) is what
    /// `detect` makes of it, or rejected as it is.
    #[test]
    fn lines_in_place_equals_detect(
        v in proptest::prop_oneof![
            "[a-zA-Z0-9.:/@%_-]{0,24}",
            "[a-z0-9-]{1,6}(\\.[a-zA-Z0-9-]{0,6}){1,3}\\.?",
            "[a-f0-9-]{17}",
            "[a-f]-[a-z]-[a-f]-[a-f]-[a-f]-[a-f0-9]\\.[a-z]{5}",
            "[a-zA-Z][a-z0-9+]{0,4}://[a-zA-Z0-9.@:-]{0,12}[/?#]?[a-zA-Z0-9/%.~:@-]{0,12}",
            "<?[a-zA-Z0-9.%+:/-]{0,8}@{1,2}[a-zA-Z0-9./:#-]{0,12}>?",
            "[0-9.]{7,15}",
            "[0-9a-fA-F]{32}|[0-9a-f]{40}|[0-9a-fA-F]{64}",
            proptest::prelude::any::<String>(),
        ],
        before in "[a-z]{1,8}\\.example|10\\.1\\.2\\.3",
    ) {
        let mut obs = crate::Observation::default();
        lines::record_into(1, &before, &mut obs);
        let fast = lines::record_into(2, &v, &mut obs).map(|r| r.ok().map(|()| obs.observables.clone()));
        let t = v.trim();
        let slow = (!t.is_empty() && !t.starts_with('#')).then(|| detect(t).map(|ob| vec![ob]));
        proptest::prop_assert_eq!(fast, slow, "{:?}", v);
    }
}

/// `each_line` (whole fills checked as UTF-8 at once) gives the lines, numbers and errors
/// `numbered` gives, through buffers of every size from one byte up.
#[test]
fn each_line_equals_numbered_through_any_buffer() {
    let mut text = b"a.example\r\n\nbob@example.org\n\xff\xfe bad\r\n10.0.0.1\n".to_vec();
    text.extend_from_slice("\u{e9}t\u{e9}.example\n\r\n".as_bytes());
    text.extend_from_slice(b"x\x80\nlast-without-end");
    let expected: Vec<(u64, Result<String, String>)> = numbered(&text[..])
        .map(|(n, l)| (n, l.map_err(|e| LineError::new(n, e).to_string())))
        .collect();
    assert_eq!(expected.len(), 9);
    for cap in (1..=12).chain([64, 4096]) {
        let mut got = Vec::new();
        each_line(
            std::io::BufReader::with_capacity(cap, &text[..]),
            0,
            &mut |n, l| {
                got.push((n, l.map(str::to_owned).map_err(|e| e.to_string())));
            },
        );
        assert_eq!(got, expected, "buffer of {cap}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(5000))]
    /// `Refill::push` (the in-place writing of EVE's values, with shortcuts for domains,
    /// digests, fingerprints, URLs and e-mail addresses) gives what `Observable::new`
    /// gives, into an observation that held other values.
    #[test]
    fn refill_push_equals_observable_new(
        kind in proptest::sample::select(vec![
            Kind::Domain, Kind::Url, Kind::Email, Kind::Md5, Kind::Sha1, Kind::Sha256,
            Kind::Sha512, Kind::X509Sha1, Kind::X509Sha256, Kind::FileName, Kind::Mac, Kind::Asn,
        ]),
        v in proptest::prop_oneof![
            "[0-9a-fA-F:]{30,70}",
            "([0-9a-fA-F]{2}:){19}[0-9a-fA-F]{2}",
            "([0-9a-fA-F]{2}:){31}[0-9a-fA-G]{2}",
            "[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}",
            "[a-zA-Z][a-z0-9+]{0,4}://[a-zA-Z0-9.@:-]{0,12}[/?#]?[a-zA-Z0-9/%.~:@-]{0,12}",
            "<?[a-zA-Z0-9.%+:/-]{0,8}@{1,2}[a-zA-Z0-9./:#-]{0,12}>?",
            " ?[a-zA-Z0-9.:/@_-]{0,20} ?",
            proptest::prelude::any::<String>(),
        ],
    ) {
        let mut obs = crate::Observation::default();
        let mut r = refill::Refill::new(&mut obs);
        r.push(Kind::Domain, Some("before.example"));
        r.push(Kind::Sha1, Some("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
        r.finish();
        let mut r = refill::Refill::new(&mut obs);
        r.push(kind, Some(&v));
        r.finish();
        let expected: Vec<Observable> = Observable::new(kind, &v).into_iter().collect();
        proptest::prop_assert_eq!(&obs.observables, &expected, "{:?} {:?}", kind, v);
    }
}
