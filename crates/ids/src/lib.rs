//! Package URLs (purl) and CPE 2.3 names: parse, normalise, compare, match.
