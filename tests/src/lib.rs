//! Scenario tests run against both Radish runtimes with real clients.
