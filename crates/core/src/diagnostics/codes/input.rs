//! `MR0xxx`: reading the input: YAML syntax, document shapes, kinds, and field types.

crate::define_codes! {
    /// The text is not well-formed YAML or JSON.
    /// Fix the indentation, quoting or bracket at the position shown; documents before it are kept.
    YAML_SYNTAX = ("MR0001", "yaml-syntax", Error, None);
    /// The input is not valid UTF-8, which Kubernetes requires of every manifest.
    /// Re-save the file as UTF-8.
    INVALID_UTF8 = ("MR0002", "invalid-utf8", Error, None);
    /// A document nests deeper than any Istio resource can, so it is not read further.
    /// Istio resources nest about a dozen levels; check for a generated or corrupted file.
    TOO_DEEP = ("MR0003", "nesting-too-deep", Error, None);
    /// YAML aliases expand to an unreasonable number of nodes (a "billion laughs" document).
    /// Write the values out or use fewer nested aliases.
    ALIAS_LIMIT = ("MR0004", "alias-expansion-limit", Error, None);
    /// A mapping names the same key twice; Kubernetes rejects such a document.
    /// Remove one of the two keys; meshroute keeps the first.
    DUPLICATE_KEY = ("MR0005", "duplicate-key", Error, None);
    /// An alias refers to an anchor that is not defined earlier in the document.
    /// Define the anchor (`&name`) before using it (`*name`).
    UNKNOWN_ALIAS = ("MR0006", "unknown-alias", Error, None);
    /// A mapping key is a list or a mapping, which no Kubernetes resource allows.
    /// Use a plain string key.
    COMPLEX_KEY = ("MR0007", "complex-key", Error, None);
    /// The input holds no resources at all.
    /// Check that the right file was given; an empty file changes nothing in a mesh.
    EMPTY_INPUT = ("MR0010", "empty-input", Warning, None);
    /// A document is not a mapping (for example a bare list or a string), so it is not a resource.
    /// Each YAML document must be one resource, or a `kind: List` with `items`.
    NOT_A_RESOURCE = ("MR0011", "not-a-resource", Error, None);
    /// A document has no `kind` or `apiVersion`, and is not a bare mesh config either.
    /// Add `apiVersion: networking.istio.io/v1` and the resource's `kind`.
    MISSING_KIND = ("MR0012", "missing-kind", Error, None);
    /// A resource of a kind that does not change outbound routing is skipped.
    /// Nothing to fix; meshroute reads ServiceEntry, DestinationRule, VirtualService, Sidecar and mesh settings.
    SKIPPED_KIND = ("MR0013", "skipped-kind", Info, None);
    /// An Istio kind carries an `apiVersion` Istio does not serve for it.
    /// Use `networking.istio.io/v1` (`v1beta1` and `v1alpha3` are accepted too).
    UNKNOWN_API_VERSION = ("MR0014", "unknown-api-version", Error, None);
    /// `metadata.name` is missing or not a valid Kubernetes object name.
    /// Give the resource a lowercase DNS-1123 name such as `stripe-api`.
    INVALID_NAME = ("MR0015", "invalid-name", Error, None);
    /// `metadata.namespace` is not a valid Kubernetes namespace name.
    /// Namespaces are lowercase DNS-1123 labels of at most 63 characters.
    INVALID_NAMESPACE = ("MR0016", "invalid-namespace", Error, None);
    /// `metadata.creationTimestamp` is not an RFC 3339 time, so input order stands in for it.
    /// Use the form `2024-05-01T12:00:00Z`, or drop the field.
    INVALID_TIMESTAMP = ("MR0017", "invalid-creation-timestamp", Warning, None);
    /// A field that the resource's schema does not have; Kubernetes drops it, so it has no effect.
    /// Check the spelling and the indentation: the field may belong one level up or down.
    UNKNOWN_FIELD = ("MR0020", "unknown-field", Warning, None);
    /// A field holds a value of the wrong type, which the API server rejects.
    /// Give the type named in the message; quote numbers meant as strings, such as label values.
    WRONG_TYPE = ("MR0021", "wrong-type", Error, None);
    /// An enum field holds a value that is not one of its allowed values.
    /// Use one of the values listed in the message, spelled exactly.
    INVALID_ENUM = ("MR0022", "invalid-enum", Error, None);
    /// An integer does not fit the field's type.
    /// Use a value in the range given in the message.
    INTEGER_OUT_OF_RANGE = ("MR0023", "integer-out-of-range", Error, None);
    /// A duration is not written the way Istio parses durations.
    /// Write a number with a unit: `500ms`, `10s`, `1m30s`, `2h`.
    INVALID_DURATION = ("MR0024", "invalid-duration", Error, None);
    /// A file or directory named on the command line could not be read.
    /// Check the path and its permissions.
    UNREADABLE_INPUT = ("MR0030", "unreadable-input", Error, None);
    /// An input is larger than meshroute reads.
    /// Split the configuration into several files.
    INPUT_TOO_LARGE = ("MR0031", "input-too-large", Error, None);
}
