//! Coordinated response between nodes: incidents (STIX `incident` with the OASIS incident
//! core extension) and their timelines, alerts and acknowledgements, requests for
//! assistance, evidence with a chain of custody, constituency routing, and notifications.
