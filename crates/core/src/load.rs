//! From input texts to typed resources: documents, kinds, metadata and specs.
//!
//! Loading never fails. Every problem becomes a diagnostic and the loader goes on with the next
//! document, so one broken resource never hides the others.

use crate::api::{
    DestinationRule, MeshConfig, ServiceEntry, ServiceEntryStatus, Sidecar, VirtualService,
};
use crate::decode::{Decode, Decoder, Map, Spanned};
use crate::diagnostics::codes::input as codes;
use crate::diagnostics::{self, Diagnostic, ResourceRef};
use crate::text::{LineCol, LineIndex, SourceId, Span};
use crate::yaml::{self, Node, YamlErrorKind};

/// Largest input text read, far above any real mesh configuration.
pub const MAX_SOURCE_BYTES: usize = 64 * 1024 * 1024;

/// One input: a file name (or `-` for stdin, or an editor label) and its raw bytes.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    pub name: &'a str,
    pub bytes: &'a [u8],
}

/// A loaded input text, kept so that spans can be turned into lines, columns and excerpts.
#[derive(Clone, Debug, Default)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    pub line_index: LineIndex,
    /// Lines of the file `name` before `text`: zero, unless `text` is one part of a larger text
    /// (an editor buffer cut at document boundaries, see [`crate::workspace`]). Spans stay
    /// relative to `text`; [`SourceFile::line_col`] counts lines from the start of the file, as
    /// the user sees them.
    pub line_offset: u32,
}

impl SourceFile {
    pub fn new(name: &str, text: String) -> SourceFile {
        let line_index = LineIndex::new(&text);
        SourceFile { name: name.to_string(), text, line_index, line_offset: 0 }
    }

    /// The line and column of the byte `offset` of `text`, lines counted in the whole file.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let mut at = self.line_index.line_col(&self.text, offset);
        at.line += self.line_offset;
        at
    }
}

/// The kinds meshroute reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    ServiceEntry,
    DestinationRule,
    VirtualService,
    Sidecar,
    MeshConfig,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ServiceEntry => "ServiceEntry",
            Kind::DestinationRule => "DestinationRule",
            Kind::VirtualService => "VirtualService",
            Kind::Sidecar => "Sidecar",
            Kind::MeshConfig => "MeshConfig",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Spec {
    // Boxed: the specs differ a lot in size, and resources are stored by the thousand.
    ServiceEntry(Box<ServiceEntry>),
    DestinationRule(Box<DestinationRule>),
    VirtualService(Box<VirtualService>),
    Sidecar(Box<Sidecar>),
    MeshConfig(Box<MeshConfig>),
}

/// One Istio resource with its metadata and where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    pub kind: Kind,
    pub name: Spanned<String>,
    /// `default` when `metadata.namespace` is absent, with an empty span.
    pub namespace: Spanned<String>,
    /// Seconds since the Unix epoch, from `metadata.creationTimestamp`.
    pub creation_timestamp: Option<i64>,
    pub labels: Map<String>,
    pub annotations: Map<String>,
    /// Position in the input across all sources; stands in for the creation time in tie-breaks.
    pub order: u32,
    pub source: SourceId,
    /// The span of the resource's mapping.
    pub span: Span,
    /// The span of `spec`, or an empty span at the resource's start when there is none; findings
    /// about missing top-level fields point here.
    pub spec_span: Span,
    /// Whether decoding reported an error (a wrong type, an unknown enum value...). istiod refuses
    /// such a resource before validating it, so validation skips it too.
    pub decode_failed: bool,
    /// The field path of the spec: `spec` for Istio kinds, `spec.meshConfig` for an
    /// IstioOperator, `data.mesh` for the istio ConfigMap, empty for a bare MeshConfig.
    pub spec_path: &'static str,
    pub spec: Spec,
    /// ServiceEntry `status`, for the addresses istiod allocated.
    pub status: Option<ServiceEntryStatus>,
}

impl Resource {
    pub fn reference(&self) -> ResourceRef {
        ResourceRef {
            kind: self.kind.as_str(),
            namespace: self.namespace.value.clone(),
            name: self.name.value.clone(),
        }
    }

    /// Istio's tie-break order: oldest first, then input order.
    pub fn age_key(&self) -> (i64, u32) {
        (self.creation_timestamp.unwrap_or(i64::MIN), self.order)
    }
}

/// Everything loaded from the inputs.
#[derive(Clone, Debug, Default)]
pub struct Config {
    pub sources: Vec<SourceFile>,
    pub resources: Vec<Resource>,
}

impl Config {
    pub fn source(&self, id: SourceId) -> &SourceFile {
        &self.sources[id.0 as usize]
    }

    /// Fills in line and column of every diagnostic from its span, and sorts them by position.
    pub fn locate(&self, diagnostics: &mut [Diagnostic]) {
        for diagnostic in diagnostics.iter_mut() {
            if let Some(location) = &mut diagnostic.location {
                if let Some(source) = self.sources.get(location.source.0 as usize) {
                    location.line_col = Some(source.line_col(location.span.start));
                }
            }
        }
        diagnostics::sort(diagnostics);
    }

    pub fn service_entries(&self) -> impl Iterator<Item = (&Resource, &ServiceEntry)> {
        self.resources.iter().filter_map(|res| match &res.spec {
            Spec::ServiceEntry(spec) => Some((res, &**spec)),
            _ => None,
        })
    }

    pub fn destination_rules(&self) -> impl Iterator<Item = (&Resource, &DestinationRule)> {
        self.resources.iter().filter_map(|res| match &res.spec {
            Spec::DestinationRule(spec) => Some((res, &**spec)),
            _ => None,
        })
    }

    pub fn virtual_services(&self) -> impl Iterator<Item = (&Resource, &VirtualService)> {
        self.resources.iter().filter_map(|res| match &res.spec {
            Spec::VirtualService(spec) => Some((res, &**spec)),
            _ => None,
        })
    }

    pub fn sidecars(&self) -> impl Iterator<Item = (&Resource, &Sidecar)> {
        self.resources.iter().filter_map(|res| match &res.spec {
            Spec::Sidecar(spec) => Some((res, &**spec)),
            _ => None,
        })
    }

    /// The mesh settings given in the input; the last one wins, as a later `kubectl apply` would.
    pub fn mesh_config(&self) -> Option<(&Resource, &MeshConfig)> {
        self.resources.iter().rev().find_map(|res| match &res.spec {
            Spec::MeshConfig(spec) => Some((res, &**spec)),
            _ => None,
        })
    }
}

/// Loads every source. Diagnostics come back located and sorted.
pub fn load(sources: &[Source<'_>]) -> (Config, Vec<Diagnostic>) {
    let mut loader = Loader { config: Config::default(), diagnostics: Vec::new() };
    for source in sources {
        loader.load_source(source);
    }
    let Loader { config, mut diagnostics } = loader;
    config.locate(&mut diagnostics);
    (config, diagnostics)
}

/// One part of a larger text, loaded on its own as source 0 (see [`crate::workspace`]).
/// Diagnostics are not located; resources are numbered from 0.
pub(crate) struct Part {
    pub(crate) source: SourceFile,
    pub(crate) resources: Vec<Resource>,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) read: TextRead,
}

/// What reading one text found besides its resources.
#[derive(Clone, Copy)]
pub(crate) struct TextRead {
    /// No control character and no YAML error: the text parsed as YAML from start to end.
    pub(crate) clean: bool,
    /// Neither a document nor a finding: only comments and blank lines.
    pub(crate) empty: bool,
}

/// Loads `text` as one part named `name` that starts on line `line_offset + 1` of that file.
pub(crate) fn load_part(name: &str, text: &str, line_offset: u32) -> Part {
    let mut loader = Loader { config: Config::default(), diagnostics: Vec::new() };
    let read = loader.load_text(SourceId(0), text);
    let mut source = SourceFile::new(name, text.to_string());
    source.line_offset = line_offset;
    Part { source, resources: loader.config.resources, diagnostics: loader.diagnostics, read }
}

struct Loader {
    config: Config,
    diagnostics: Vec<Diagnostic>,
}

impl Loader {
    fn load_source(&mut self, source: &Source<'_>) {
        let id = SourceId(self.config.sources.len() as u32);
        if source.bytes.len() > MAX_SOURCE_BYTES {
            self.config.sources.push(SourceFile::new(source.name, String::new()));
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::INPUT_TOO_LARGE,
                    format!("input is {} bytes, more than the {} bytes meshroute reads; split it into several files", source.bytes.len(), MAX_SOURCE_BYTES),
                )
                .at(id, Span::at(0)),
            );
            return;
        }
        let text = match std::str::from_utf8(source.bytes) {
            Ok(text) => text.to_string(),
            Err(error) => {
                // Keep the valid prefix so the position of the bad byte can be shown as line:column.
                let valid = error.valid_up_to();
                let text = String::from_utf8_lossy(source.bytes).into_owned();
                let prefix_chars =
                    std::str::from_utf8(&source.bytes[..valid]).map_or(0, |prefix| prefix.len());
                self.config.sources.push(SourceFile::new(source.name, text));
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::INVALID_UTF8,
                        format!("byte {valid} is not valid UTF-8; re-save the file as UTF-8"),
                    )
                    .at(id, Span::new(prefix_chars, prefix_chars + 1)),
                );
                return;
            }
        };
        // The tree borrows from `text`, so the source is stored only once the documents are read;
        // its id is known in advance.
        let read = self.load_text(id, &text);
        if read.empty {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::EMPTY_INPUT,
                    "this input holds no resources; check that the right file was given",
                )
                .at(id, Span::at(0)),
            );
        }
        self.config.sources.push(SourceFile::new(source.name, text));
    }

    /// Parses `text` (source `id`) and loads each document as soon as it is parsed.
    fn load_text(&mut self, id: SourceId, text: &str) -> TextRead {
        let diagnostics_before = self.diagnostics.len();
        let resources_before = self.config.resources.len();
        let mut any_document = false;
        let forbidden = yaml::first_forbidden_char(text);
        if let Some((offset, ch)) = forbidden {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::YAML_SYNTAX,
                    format!(
                        "control character U+{:04X} is not allowed in YAML; remove it",
                        ch as u32
                    ),
                )
                .at(id, Span::new(offset, offset + ch.len_utf8())),
            );
        }
        let errors = yaml::parse_each(text, |document| {
            if let Some(root) = &document.root {
                any_document = true;
                self.load_document(id, text, root, false);
            }
        });
        let clean = forbidden.is_none() && errors.is_empty();
        // The scanner may trip over the same control character; it has been reported already.
        let errors = errors.into_iter().filter(|error| {
            forbidden.is_none_or(|(offset, _)| error.span.start as usize != offset)
        });
        for error in errors {
            let code = match error.kind {
                YamlErrorKind::Syntax => &codes::YAML_SYNTAX,
                YamlErrorKind::TooDeep => &codes::TOO_DEEP,
                YamlErrorKind::AliasBomb => &codes::ALIAS_LIMIT,
                YamlErrorKind::UnknownAlias => &codes::UNKNOWN_ALIAS,
                YamlErrorKind::DuplicateKey => &codes::DUPLICATE_KEY,
                YamlErrorKind::ComplexKey => &codes::COMPLEX_KEY,
            };
            self.diagnostics.push(Diagnostic::new(code, error.message).at(id, error.span));
        }
        let produced_nothing = self.config.resources.len() == resources_before
            && self.diagnostics.len() == diagnostics_before;
        TextRead { clean, empty: !any_document && produced_nothing }
    }

    fn load_document(&mut self, source: SourceId, text: &str, root: &Node<'_>, in_list: bool) {
        let Some(_) = root.as_map() else {
            let what = if in_list { "a `List` item" } else { "a YAML document" };
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::NOT_A_RESOURCE,
                    format!("{what} must be a resource mapping with `apiVersion`, `kind` and `metadata`, found {}", root.describe()),
                )
                .at(source, root.span),
            );
            return;
        };
        let api_version = root.get("apiVersion").and_then(Node::as_str);
        let kind = root.get("kind").and_then(Node::as_str);
        match (api_version, kind) {
            (_, Some("List")) | (_, Some(_))
                if kind.is_some_and(|kind| kind.ends_with("List"))
                    && root.get("items").is_some() =>
            {
                let items = root.get("items").expect("checked above");
                match items.as_seq() {
                    Some(items) => {
                        for item in items {
                            self.load_document(source, text, item, true);
                        }
                    }
                    None if items.is_null() => {}
                    None => self.diagnostics.push(
                        Diagnostic::new(
                            &codes::WRONG_TYPE,
                            format!("`items` of a List must be a list, found {}", items.describe()),
                        )
                        .at(source, items.span)
                        .with_path("items"),
                    ),
                }
            }
            (None, None) => {
                let looks_like_mesh = root.as_map().is_some_and(|entries| {
                    entries.iter().any(|entry| {
                        entry.key.as_str().is_some_and(|key| MeshConfig::FIELDS.contains(&key))
                    })
                });
                if looks_like_mesh {
                    self.load_mesh_config(source, root, root, "MeshConfig", None, None);
                } else {
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::MISSING_KIND,
                            "document has no `apiVersion` and `kind`; add `apiVersion: networking.istio.io/v1` and the resource's kind",
                        )
                        .at(source, Span::at(root.span.start)),
                    );
                }
            }
            (_, Some(kind_name)) => self.load_kind(source, text, root, api_version, kind_name),
            (Some(_), None) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        &codes::MISSING_KIND,
                        "document has an `apiVersion` but no `kind`; add the resource's kind",
                    )
                    .at(source, Span::at(root.span.start)),
                );
            }
        }
    }

    fn load_kind(
        &mut self,
        source: SourceId,
        text: &str,
        root: &Node<'_>,
        api_version: Option<&str>,
        kind_name: &str,
    ) {
        let group = api_version.map(|version| {
            version.rsplit_once('/').map_or(("", version), |(group, ver)| (group, ver))
        });
        let istio_kind = match kind_name {
            "ServiceEntry" => Some(Kind::ServiceEntry),
            "DestinationRule" => Some(Kind::DestinationRule),
            "VirtualService" => Some(Kind::VirtualService),
            "Sidecar" => Some(Kind::Sidecar),
            _ => None,
        };
        if let Some(kind) = istio_kind {
            match group {
                Some(("networking.istio.io", "v1" | "v1beta1" | "v1alpha3")) => {}
                _ => {
                    let span =
                        root.get("apiVersion").map_or(Span::at(root.span.start), |node| node.span);
                    self.diagnostics.push(
                        Diagnostic::new(
                            &codes::UNKNOWN_API_VERSION,
                            format!(
                                "{kind_name} is served as `networking.istio.io/v1` (also `v1beta1` and `v1alpha3`), not `{}`",
                                api_version.unwrap_or("")
                            ),
                        )
                        .at(source, span)
                        .with_path("apiVersion"),
                    );
                    return;
                }
            }
            self.load_istio_resource(source, root, kind);
            return;
        }
        match (group, kind_name) {
            (Some(("install.istio.io", _)), "IstioOperator") => {
                let mesh = root.get("spec").and_then(|spec| spec.get("meshConfig"));
                if let Some(mesh) = mesh {
                    self.load_mesh_config(
                        source,
                        root,
                        mesh,
                        "IstioOperator",
                        Some("spec.meshConfig"),
                        None,
                    );
                } else {
                    self.skip(source, root, kind_name, "it sets no `spec.meshConfig`");
                }
            }
            (Some(("", "v1")), "ConfigMap") if is_mesh_config_map(root) => {
                let mesh = root
                    .get("data")
                    .and_then(|data| data.get("mesh"))
                    .expect("checked by is_mesh_config_map");
                self.load_mesh_config_map(source, text, root, mesh);
            }
            _ => self.skip(source, root, kind_name, "it does not change outbound routing"),
        }
    }

    fn skip(&mut self, source: SourceId, root: &Node<'_>, kind_name: &str, why: &str) {
        let name = root
            .get("metadata")
            .and_then(|meta| meta.get("name"))
            .and_then(Node::as_str)
            .unwrap_or("");
        let span = root.get("kind").map_or(Span::at(root.span.start), |node| node.span);
        let what =
            if name.is_empty() { kind_name.to_string() } else { format!("{kind_name} {name}") };
        self.diagnostics.push(
            Diagnostic::new(&codes::SKIPPED_KIND, format!("skipped {what}: {why}"))
                .at(source, span),
        );
    }

    /// Reads `metadata` and the checks common to every resource; returns the typed shell.
    fn metadata(&mut self, source: SourceId, root: &Node<'_>, kind: Kind) -> Option<Resource> {
        let metadata = root.get("metadata");
        let mut decoder = Decoder::new(source, &mut self.diagnostics);
        let mut name = None;
        let mut namespace = None;
        let mut creation_timestamp = None;
        let mut labels = Map::default();
        let mut annotations = Map::default();
        if let Some(metadata) = metadata.filter(|meta| !meta.is_null()) {
            if metadata.as_map().is_none() {
                let diagnostic = Diagnostic::new(
                    &codes::WRONG_TYPE,
                    format!(
                        "`metadata` must be a mapping with `name` and `namespace`, found {}",
                        metadata.describe()
                    ),
                )
                .at(source, metadata.span)
                .with_path("metadata");
                decoder.diagnostics.push(diagnostic);
            }
            if let Some(entries) = metadata.as_map() {
                for entry in entries {
                    match entry.key.as_str() {
                        Some("name") => {
                            name = decoder.field::<String>("metadata.name", &entry.value)
                        }
                        Some("namespace") => {
                            namespace = decoder.field::<String>("metadata.namespace", &entry.value)
                        }
                        Some("labels") => {
                            labels = decoder
                                .field("metadata.labels", &entry.value)
                                .map(|m: Spanned<Map<String>>| m.value)
                                .unwrap_or_default()
                        }
                        Some("annotations") => {
                            annotations = decoder
                                .field("metadata.annotations", &entry.value)
                                .map(|m: Spanned<Map<String>>| m.value)
                                .unwrap_or_default()
                        }
                        Some("creationTimestamp") if !entry.value.is_null() => {
                            let text = entry.value.as_str().unwrap_or("");
                            creation_timestamp = parse_rfc3339(text);
                            if creation_timestamp.is_none() {
                                let diagnostic = Diagnostic::new(
                                    &codes::INVALID_TIMESTAMP,
                                    format!("creationTimestamp `{text}` is not an RFC 3339 time such as 2024-05-01T12:00:00Z; input order is used instead"),
                                )
                                .at(source, entry.value.span)
                                .with_path("metadata.creationTimestamp");
                                decoder.diagnostics.push(diagnostic);
                            }
                        }
                        // Server-managed and other standard ObjectMeta fields carry nothing for routing.
                        _ => {}
                    }
                }
            }
        }
        let kind_span = root.get("kind").map_or(Span::at(root.span.start), |node| node.span);
        let Some(name) = name.filter(|name| !name.value.is_empty()) else {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::INVALID_NAME,
                    format!(
                        "{} has no `metadata.name`; every resource needs a name",
                        kind.as_str()
                    ),
                )
                .at(source, metadata.map_or(kind_span, |meta| Span::at(meta.span.start)))
                .with_path("metadata.name"),
            );
            return None;
        };
        let namespace = namespace
            .unwrap_or_else(|| Spanned::new("default".to_string(), Span::at(name.span.start)));
        let resource_ref = ResourceRef {
            kind: kind.as_str(),
            namespace: namespace.value.clone(),
            name: name.value.clone(),
        };
        if !is_dns1123_subdomain(&name.value) {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::INVALID_NAME,
                    format!("`{}` is not a valid name: use lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit", name.value),
                )
                .at(source, name.span)
                .on(Some(&resource_ref))
                .with_path("metadata.name"),
            );
        }
        if !is_dns1123_label(&namespace.value) {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::INVALID_NAMESPACE,
                    format!("`{}` is not a valid namespace: use at most 63 lowercase letters, digits and `-`", namespace.value),
                )
                .at(source, namespace.span)
                .on(Some(&resource_ref))
                .with_path("metadata.namespace"),
            );
        }
        let order = self.config.resources.len() as u32;
        Some(Resource {
            kind,
            name,
            namespace,
            creation_timestamp,
            labels,
            annotations,
            order,
            source,
            span: root.span,
            spec_span: Span::at(root.span.start),
            decode_failed: false,
            spec_path: "spec",
            spec: Spec::MeshConfig(Box::default()),
            status: None,
        })
    }

    fn load_istio_resource(&mut self, source: SourceId, root: &Node<'_>, kind: Kind) {
        let Some(mut resource) = self.metadata(source, root, kind) else { return };
        let diagnostics_before = self.diagnostics.len();
        let mut decoder = Decoder::new(source, &mut self.diagnostics);
        decoder.resource = Some(resource.reference());
        let mut spec_node = None;
        for entry in root.as_map().unwrap_or_default() {
            match entry.key.as_str() {
                Some("apiVersion" | "kind" | "metadata") => {}
                Some("spec") => spec_node = Some(&entry.value),
                Some("status") if kind == Kind::ServiceEntry => {
                    resource.status = decoder
                        .field::<ServiceEntryStatus>("status", &entry.value)
                        .map(|status| status.value);
                }
                // Status of other kinds is written by istiod and carries nothing for routing.
                Some("status") => {}
                Some(other) => {
                    // istiod's webhook (`checkFields`) rejects unknown top-level keys, while the API
                    // server only prunes unknown keys inside `spec`; so this one is an error.
                    decoder.unknown_field(
                        other,
                        entry.key.span,
                        &["apiVersion", "kind", "metadata", "spec", "status"],
                    );
                    if let Some(last) = decoder.diagnostics.last_mut() {
                        last.severity = crate::diagnostics::Severity::Error;
                        last.message = format!(
                            "unknown top-level field `{other}`: istiod rejects the resource; only apiVersion, kind, metadata, spec and status are allowed"
                        );
                    }
                }
                None => {}
            }
        }
        let spec_node = spec_node.filter(|node| !node.is_null());
        let spec = match spec_node {
            None => {
                // An absent spec is an empty one; validation reports the missing required fields.
                empty_spec(kind)
            }
            Some(node) => {
                let spec = match kind {
                    Kind::ServiceEntry => decoder
                        .field::<ServiceEntry>("spec", node)
                        .map(|s| Spec::ServiceEntry(Box::new(s.value))),
                    Kind::DestinationRule => decoder
                        .field::<DestinationRule>("spec", node)
                        .map(|s| Spec::DestinationRule(Box::new(s.value))),
                    Kind::VirtualService => decoder
                        .field::<VirtualService>("spec", node)
                        .map(|s| Spec::VirtualService(Box::new(s.value))),
                    Kind::Sidecar => decoder
                        .field::<Sidecar>("spec", node)
                        .map(|s| Spec::Sidecar(Box::new(s.value))),
                    Kind::MeshConfig => None,
                };
                // A spec of the wrong shape was reported; keep the resource so lookups still see its name.
                spec.unwrap_or_else(|| empty_spec(kind))
            }
        };
        resource.spec = spec;
        resource.spec_span = spec_node.map_or(Span::at(root.span.start), |node| node.span);
        resource.decode_failed =
            self.diagnostics[diagnostics_before..].iter().any(Diagnostic::is_error);
        self.config.resources.push(resource);
    }

    /// Reads a MeshConfig from `mesh` (the bare document, an IstioOperator's `spec.meshConfig`).
    fn load_mesh_config(
        &mut self,
        source: SourceId,
        root: &Node<'_>,
        mesh: &Node<'_>,
        label: &str,
        path: Option<&'static str>,
        name: Option<&str>,
    ) {
        let name_from_meta =
            root.get("metadata").and_then(|meta| meta.get("name")).and_then(Node::as_str);
        let namespace_from_meta =
            root.get("metadata").and_then(|meta| meta.get("namespace")).and_then(Node::as_str);
        let name = name.or(name_from_meta).unwrap_or("mesh").to_string();
        let resource_ref = ResourceRef {
            kind: "MeshConfig",
            namespace: namespace_from_meta.unwrap_or("istio-system").to_string(),
            name: name.clone(),
        };
        let mut decoder = Decoder::new(source, &mut self.diagnostics);
        decoder.resource = Some(resource_ref.clone());
        let spec = match path {
            Some(path) => decoder.field::<MeshConfig>(path, mesh).map(|mesh| mesh.value),
            None => MeshConfig::decode(mesh, &mut decoder),
        };
        let Some(spec) = spec else { return };
        let order = self.config.resources.len() as u32;
        self.config.resources.push(Resource {
            kind: Kind::MeshConfig,
            name: Spanned::new(name, Span::at(root.span.start)),
            namespace: Spanned::new(resource_ref.namespace, Span::at(root.span.start)),
            creation_timestamp: None,
            labels: Map::default(),
            annotations: Map::default(),
            order,
            source,
            span: root.span,
            spec_span: mesh.span,
            decode_failed: false,
            spec_path: match label {
                "IstioOperator" => "spec.meshConfig",
                "ConfigMap" => "data.mesh",
                _ => "",
            },
            spec: Spec::MeshConfig(Box::new(spec)),
            status: None,
        });
    }

    /// The `istio` ConfigMap keeps MeshConfig as YAML text under `data.mesh`; parse that text and
    /// map positions inside it back to the file, so findings point at the right line.
    fn load_mesh_config_map(
        &mut self,
        source: SourceId,
        outer_text: &str,
        root: &Node<'_>,
        mesh: &Node<'_>,
    ) {
        let Some(inner_text) = mesh.as_str().map(str::to_string) else {
            self.diagnostics.push(
                Diagnostic::new(
                    &codes::WRONG_TYPE,
                    format!(
                        "`data.mesh` must be a string holding the mesh config YAML, found {}",
                        mesh.describe()
                    ),
                )
                .at(source, mesh.span)
                .with_path("data.mesh"),
            );
            return;
        };
        let mapper = BlockMapper::new(outer_text, mesh.span, &inner_text);
        let (documents, errors) = yaml::parse(&inner_text);
        for error in errors {
            self.diagnostics.push(
                Diagnostic::new(&codes::YAML_SYNTAX, format!("in `data.mesh`: {}", error.message))
                    .at(source, mapper.span(error.span))
                    .with_path("data.mesh"),
            );
        }
        for document in documents {
            let Some(mut node) = document.root else { continue };
            mapper.remap(&mut node);
            self.load_mesh_config(source, root, &node, "ConfigMap", None, None);
        }
    }
}

fn empty_spec(kind: Kind) -> Spec {
    match kind {
        Kind::ServiceEntry => Spec::ServiceEntry(Box::default()),
        Kind::DestinationRule => Spec::DestinationRule(Box::default()),
        Kind::VirtualService => Spec::VirtualService(Box::default()),
        Kind::Sidecar => Spec::Sidecar(Box::default()),
        Kind::MeshConfig => Spec::MeshConfig(Box::default()),
    }
}

fn is_mesh_config_map(root: &Node<'_>) -> bool {
    let name = root.get("metadata").and_then(|meta| meta.get("name")).and_then(Node::as_str);
    let is_istio_name = name.is_some_and(|name| name == "istio" || name.starts_with("istio-"));
    is_istio_name && root.get("data").and_then(|data| data.get("mesh")).is_some()
}

/// Maps offsets in the text of a block scalar back to offsets in the file that holds it.
///
/// A literal block (`mesh: |`) keeps each content line on its own source line, shifted right by
/// the block's indentation, so each non-empty content line is found in the file in order, from
/// the value's start. A line that cannot be found (folded or escaped text) maps by the line
/// before it, and with no line found everything maps to the start of the value.
struct BlockMapper {
    /// For each content line found: (start offset in the inner text, start offset in the outer text).
    lines: Vec<(u32, u32)>,
    fallback: u32,
    /// The end of the value in the outer text: the inner text can be longer than the source it
    /// came from (block chomping adds a final newline), and no span may point past the value.
    limit: u32,
}

impl BlockMapper {
    fn new(outer: &str, span: Span, inner: &str) -> BlockMapper {
        let mut lines = Vec::new();
        let mut outer_pos = span.start as usize;
        let outer_end = (span.end as usize).max(outer_pos).min(outer.len());
        let mut inner_pos = 0usize;
        for inner_line in inner.split_inclusive('\n') {
            let content = inner_line.trim_end_matches(['\n', '\r']);
            if !content.is_empty() {
                if let Some(found) = outer[outer_pos..outer_end].find(content) {
                    lines.push((inner_pos as u32, (outer_pos + found) as u32));
                    outer_pos += found + content.len();
                }
            }
            inner_pos += inner_line.len();
        }
        BlockMapper {
            lines,
            fallback: span.start,
            limit: outer_end.max(span.start as usize) as u32,
        }
    }

    fn offset(&self, inner: u32) -> u32 {
        if self.lines.is_empty() {
            return self.fallback;
        }
        let idx = self.lines.partition_point(|(start, _)| *start <= inner).saturating_sub(1);
        let (inner_start, outer_start) = self.lines[idx];
        (outer_start + (inner - inner_start)).min(self.limit)
    }

    fn span(&self, span: Span) -> Span {
        Span { start: self.offset(span.start), end: self.offset(span.end) }
    }

    fn remap(&self, node: &mut Node<'_>) {
        let mut pending = vec![node];
        while let Some(node) = pending.pop() {
            node.span = self.span(node.span);
            match &mut node.kind {
                yaml::NodeKind::Scalar(_) => {}
                yaml::NodeKind::Seq(items) => pending.extend(items.iter_mut()),
                yaml::NodeKind::Map(entries) => {
                    for entry in entries.iter_mut() {
                        pending.push(&mut entry.key);
                        pending.push(&mut entry.value);
                    }
                }
            }
        }
    }
}

/// A DNS-1123 subdomain, the rule for most Kubernetes object names.
pub fn is_dns1123_subdomain(text: &str) -> bool {
    !text.is_empty() && text.len() <= 253 && text.split('.').all(is_dns1123_label)
}

/// A DNS-1123 label: lowercase alphanumerics and `-`, alphanumeric at both ends, at most 63.
pub fn is_dns1123_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || *byte == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// Parses an RFC 3339 timestamp into seconds since the Unix epoch.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20
        || bytes[4] != b'-'
        || bytes[7] != b'-'
        || !matches!(bytes[10], b'T' | b't' | b' ')
    {
        return None;
    }
    if bytes[13] != b':' || bytes[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        if part.bytes().all(|byte| byte.is_ascii_digit()) { part.parse().ok() } else { None }
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &frac[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            if rest.len() != 6 || rest.as_bytes()[3] != b':' {
                return None;
            }
            let hours: i64 = rest[1..3].parse().ok()?;
            let minutes: i64 = rest[4..6].parse().ok()?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    // Days from civil date (Howard Hinnant's algorithm).
    let (y, m) = if month <= 2 { (year - 1, month + 9) } else { (year, month - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_timestamps() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2024-05-01T12:00:00Z"), Some(1_714_564_800));
        assert_eq!(parse_rfc3339("2024-05-01T14:00:00+02:00"), Some(1_714_564_800));
        assert_eq!(parse_rfc3339("2024-05-01T12:00:00.123Z"), Some(1_714_564_800));
        assert_eq!(parse_rfc3339("2024-05-01"), None);
        assert_eq!(parse_rfc3339("yesterday at noon"), None);
    }

    #[test]
    fn dns_names() {
        assert!(is_dns1123_label("payments"));
        assert!(!is_dns1123_label("Payments"));
        assert!(!is_dns1123_label("-a"));
        assert!(is_dns1123_subdomain("stripe-api.v1"));
        assert!(!is_dns1123_subdomain("stripe_api"));
    }
}
