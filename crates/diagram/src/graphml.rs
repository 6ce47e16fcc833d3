//! The GraphML writer (http://graphml.graphdrawing.org/): one flat directed graph. Nodes are zones,
//! segments, devices, remote lines and hosts (`kind`); containment is an edge of kind `member_of`
//! from child to parent, remote lines and flows are edges of their own kinds. Every attribute is
//! declared with a `<key>` before the graph, as the schema requires.

use crate::model::{Device, EdgeKind, ExternalKind, Graph, Segment, ZoneKind};
use crate::text::xml;
use mdsec_domain::RemoteLine;
use std::fmt::Write;

/// (id, for, attr.name, attr.type)
const KEYS: &[(&str, &str, &str, &str)] = &[
    ("n_kind", "node", "kind", "string"),
    ("n_label", "node", "label", "string"),
    ("n_zone", "node", "zone", "string"),
    ("n_vlan", "node", "vlan", "int"),
    ("n_cidr", "node", "cidr", "string"),
    ("n_count", "node", "device_count", "int"),
    ("n_mgmt", "node", "management_number", "string"),
    ("n_type", "node", "device_type", "string"),
    ("n_maker", "node", "manufacturer", "string"),
    ("n_model", "node", "model", "string"),
    ("n_dept", "node", "department", "string"),
    ("n_loc", "node", "location", "string"),
    ("n_ip", "node", "ip", "string"),
    ("n_segment", "node", "segment", "string"),
    ("n_status", "node", "status", "string"),
    ("n_crit", "node", "criticality", "string"),
    ("n_priority", "node", "priority", "string"),
    ("n_remote", "node", "remote_line", "string"),
    ("n_method", "node", "remote_method", "string"),
    ("n_endpoints", "node", "endpoints", "string"),
    ("n_always_on", "node", "always_on", "boolean"),
    ("n_registered", "node", "registered", "boolean"),
    ("n_private", "node", "private", "boolean"),
    ("e_kind", "edge", "kind", "string"),
    ("e_protocol", "edge", "protocol", "string"),
    ("e_port", "edge", "port", "int"),
];

struct W(String);

impl W {
    fn data(&mut self, key: &str, v: impl AsRef<str>) {
        let _ = writeln!(
            self.0,
            r#"      <data key="{key}">{}</data>"#,
            xml(v.as_ref())
        );
    }
    fn opt(&mut self, key: &str, v: Option<&str>) {
        if let Some(v) = v {
            self.data(key, v);
        }
    }
    fn node_open(&mut self, id: &str) {
        let _ = writeln!(self.0, r#"    <node id="{}">"#, xml(id));
    }
    fn node_close(&mut self) {
        self.0.push_str("    </node>\n");
    }
    fn edge(&mut self, id: &str, source: &str, target: &str, data: &[(&str, String)]) {
        let _ = writeln!(
            self.0,
            r#"    <edge id="{}" source="{}" target="{}">"#,
            xml(id),
            xml(source),
            xml(target)
        );
        for (k, v) in data {
            self.data(k, v);
        }
        self.0.push_str("    </edge>\n");
    }
}

fn zone_node(w: &mut W, kind: ZoneKind) {
    w.node_open(&kind.node_id());
    w.data("n_kind", "zone");
    w.data("n_label", kind.label());
    w.data("n_zone", kind.code());
    w.node_close();
}

fn segment_node(w: &mut W, s: &Segment) {
    w.node_open(&s.node_id);
    w.data("n_kind", "segment");
    w.data("n_label", &s.name);
    w.data("n_zone", s.zone.code());
    if let Some(v) = s.vlan {
        w.data("n_vlan", v.to_string());
    }
    w.opt("n_cidr", s.cidr.as_deref());
    w.data("n_count", s.devices.len().to_string());
    w.node_close();
}

fn device_node(w: &mut W, d: &Device, s: &Segment) {
    let i = &d.input;
    w.node_open(&d.node_id);
    w.data("n_kind", "device");
    w.data("n_label", i.label());
    w.data("n_zone", s.zone.code());
    w.opt("n_mgmt", i.management_number.as_deref());
    w.opt("n_type", i.device_type.as_deref());
    w.opt("n_maker", i.manufacturer.as_deref());
    w.opt("n_model", i.model.as_deref());
    w.opt("n_dept", i.department.as_deref());
    w.opt("n_loc", i.location.as_deref());
    w.opt("n_ip", i.ip.as_deref());
    w.data("n_segment", &s.name);
    w.data("n_status", i.status.code());
    w.opt("n_crit", i.criticality.map(|c| c.code()));
    w.opt("n_priority", i.priority.map(|p| p.code()));
    w.data("n_remote", i.remote_line.code());
    if i.remote_line == RemoteLine::Yes {
        w.opt("n_method", i.remote_method.as_deref());
    }
    w.node_close();
}

/// Render the graph as GraphML.
pub fn to_graphml(graph: &Graph) -> String {
    let mut w = W(String::with_capacity(4096 + graph.device_count() * 700));
    w.0.push_str(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" ",
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ",
        "xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns ",
        "http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n"
    ));
    for (id, target, name, ty) in KEYS {
        let _ = writeln!(
            w.0,
            r#"  <key id="{id}" for="{target}" attr.name="{name}" attr.type="{ty}"/>"#
        );
    }
    w.0.push_str("  <graph id=\"network\" edgedefault=\"directed\">\n");
    if !graph.title.is_empty() {
        let _ = writeln!(w.0, "    <desc>{}</desc>", xml(&graph.title));
    }

    let mut member = Vec::new();
    if !graph.external.is_empty() {
        zone_node(&mut w, ZoneKind::External);
    }
    for z in &graph.zones {
        zone_node(&mut w, z.kind);
    }
    for n in &graph.external {
        w.node_open(&n.node_id);
        match &n.kind {
            ExternalKind::RemoteLine(l) => {
                w.data("n_kind", "remote_line");
                w.data("n_label", &l.vendor);
                w.opt("n_method", l.method.as_deref());
                if !l.endpoints.is_empty() {
                    w.data("n_endpoints", l.endpoints.join(" "));
                }
                w.data("n_count", l.device_ids.len().to_string());
                w.data("n_always_on", l.always_on.to_string());
                w.data("n_registered", l.registered.to_string());
            }
            ExternalKind::Host { address, private } => {
                w.data("n_kind", "host");
                w.data("n_label", address);
                w.data("n_ip", address);
                w.data("n_private", private.to_string());
            }
        }
        w.data("n_zone", ZoneKind::External.code());
        w.node_close();
        member.push((n.node_id.clone(), ZoneKind::External.node_id()));
    }
    for z in &graph.zones {
        for s in &z.segments {
            segment_node(&mut w, s);
            member.push((s.node_id.clone(), z.kind.node_id()));
            for d in &s.devices {
                device_node(&mut w, d, s);
                member.push((d.node_id.clone(), s.node_id.clone()));
            }
        }
    }
    for (i, (child, parent)) in member.iter().enumerate() {
        w.edge(
            &format!("m{}", i + 1),
            child,
            parent,
            &[("e_kind", "member_of".into())],
        );
    }
    for e in &graph.edges {
        let mut data = vec![("e_kind", e.kind.code().to_string())];
        if e.kind == EdgeKind::Flow {
            if let Some(p) = &e.protocol {
                data.push(("e_protocol", p.clone()));
            }
            if let Some(p) = e.port {
                data.push(("e_port", p.to_string()));
            }
        }
        w.edge(&e.id, &e.source, &e.target, &data);
    }
    w.0.push_str("  </graph>\n</graphml>\n");
    w.0
}

#[cfg(test)]
mod tests {
    use crate::model::*;
    #[allow(unused_imports)]
    use mdsec_domain::RemoteLine;

    #[test]
    fn graphml_declares_keys_before_use_and_counts_match() {
        let mut devices: Vec<DeviceInput> = (1..=3)
            .map(|i| DeviceInput {
                id: i,
                name: format!("機器{i}"),
                segment: (i != 3).then(|| "VLAN10 医療機器".into()),
                remote_line: if i == 1 {
                    RemoteLine::Yes
                } else {
                    RemoteLine::No
                },
                remote_endpoint: Some("198.51.100.1".into()),
                ..Default::default()
            })
            .collect();
        devices[1].name = "a&b<c>".into();
        let lines = remote_lines_from_ledger(&devices);
        let g = build(
            &DiagramInput {
                devices,
                remote_lines: lines,
                ..Default::default()
            },
            &Filter::default(),
        )
        .unwrap();
        let x = super::to_graphml(&g);
        // zones: external, medical, unassigned; 2 segments; 3 devices; 1 line.
        assert_eq!(x.matches("<node ").count(), 3 + 2 + 3 + 1);
        // member_of: 2 segments + 3 devices + 1 line; plus 1 remote-line edge.
        assert_eq!(x.matches("<edge ").count(), 6 + 1);
        assert!(x.contains("a&amp;b&lt;c&gt;"));
        let first_graph = x.find("<graph ").unwrap();
        assert!(x.rfind("<key ").unwrap() < first_graph);
        for key in x.match_indices("key=\"").map(|(i, _)| &x[i + 5..]) {
            let id = &key[..key.find('"').unwrap()];
            assert!(x.contains(&format!("<key id=\"{id}\"")), "undeclared {id}");
        }
    }
}
