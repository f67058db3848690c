//! Importers and exporters between STIX 2.1 and the formats CERTs already use: MISP JSON
//! events and feeds, CSAF 2.0 advisories, CSV and one-value-per-line feeds, and exports
//! for MISP, Suricata, hosts files and plain lists.
