//! Vulnerability-database feeds: NVD CVE API 2.0 (streamed), CISA KEV, FIRST EPSS, JVN iPedia.
