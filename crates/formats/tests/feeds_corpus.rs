//! Every CSV/plain preset against the corpus file of its feed: every data line becomes
//! one valid indicator, comments and headers are skipped, nothing is an error.

mod common;

use common::*;
use concord_formats::Source;
use concord_formats::observable::Kind;
use concord_formats::plain::{self, Layout};

#[test]
fn every_preset_reads_its_corpus_feed() {
    let Some(dir) = corpus() else { return };
    let cases: &[(&str, &str, usize)] = &[
        ("urlhaus", "abusech/urlhaus-tld-ch-2019.csv", 2),
        ("feodotracker", "abusech/feodotracker-ipblocklist.csv", 2),
        ("ransomwaretracker", "abusech/ransomwaretracker-2016.csv", 3),
        (
            "feodo-domains",
            "abusech/feodo-domain-blocklist-2016.txt",
            1,
        ),
        ("zeustracker-ips", "abusech/zeustracker-ipblocklist.txt", 1),
        ("spamhaus-drop", "spamhaus/drop.txt", 2),
        ("spamhaus-drop", "spamhaus/drop-2015-09-14.lasso.txt", 10),
        ("spamhaus-asndrop", "spamhaus/asndrop.txt", 2),
        ("spamhaus-cert", "spamhaus/cert-insight.txt", 19),
        ("bambenek-ip", "ips/bambenek-c2-ipmasterlist.txt", 1),
        (
            "bambenek-domain",
            "domains/bambenek-c2-dommasterlist.txt",
            1,
        ),
        ("bambenek-domain", "domains/bambenek-dga-feed.txt", 1),
        ("dshield", "ips/dshield-block.txt", 2),
        ("openphish", "urls/openphish-feed.txt", 2),
        ("blocklistde", "ips/blocklistde-imap.txt", 6),
        ("malwaredomains", "domains/malwaredomains-domains.txt", 3),
        ("cymru-infected", "ips/cymru-infected.txt", 9),
        ("dataplane", "ips/dataplane-sshpwauth.txt", 3),
        ("ponmocup", "domains/ponmocup-infected-domains.txt", 2),
    ];
    for (preset, rel, values) in cases {
        let layout = plain::preset(preset).unwrap();
        let mut c = Collected::default();
        let source = Source::new(*rel, NOW);
        let file =
            std::io::BufReader::new(std::fs::File::open(dir.join("feeds").join(rel)).unwrap());
        plain::read(file, &layout, &source, &mut |i| c.push(i)).unwrap();
        assert!(c.errors.is_empty(), "{preset} {rel}: {:?}", c.errors);
        c.assert_valid();
        // Repeated values (Cymru lists one address per report) are one indicator.
        let mut ids: Vec<&str> = c
            .of_type("indicator")
            .iter()
            .map(|o| o["id"].as_str().unwrap())
            .collect();
        let all = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(
            all,
            *values,
            "{preset} {rel}: {} indicators ({} distinct)",
            all,
            ids.len()
        );
    }
    // The DShield netblocks are /24 networks, Spamhaus DROP has an IPv6 network.
    let mut c = Collected::default();
    let f =
        std::io::BufReader::new(std::fs::File::open(dir.join("feeds/spamhaus/drop.txt")).unwrap());
    plain::read(
        f,
        &plain::preset("spamhaus-drop").unwrap(),
        &Source::new("drop", NOW),
        &mut |i| c.push(i),
    )
    .unwrap();
    assert_eq!(
        c.of_type("indicator")[1]["pattern"],
        "[ipv6-addr:value ISSUBSET '2a06:e480::/29']"
    );
    // A URL list without schemes (Malware Patrol) as plain lines of URLs.
    let mut c = Collected::default();
    let f = std::io::BufReader::new(
        std::fs::File::open(dir.join("feeds/urls/malwarepatrol-dansguardian.txt")).unwrap(),
    );
    plain::read(
        f,
        &Layout::lines(Kind::Url),
        &Source::new("mp", NOW),
        &mut |i| c.push(i),
    )
    .unwrap();
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    assert_eq!(
        c.of_type("indicator")[0]["pattern"],
        "[url:value = 'http://example.com/malwarehere/']"
    );
}
