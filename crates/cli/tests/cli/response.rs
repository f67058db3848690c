//! Coordinated response across real nodes: incidents, alerts, acknowledgements, requests.
