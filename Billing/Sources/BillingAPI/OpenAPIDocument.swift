/// The API's OpenAPI document, as committed beside this file: what `GET /openapi.json` serves.
package enum OpenAPIDocument {
    /// The document's bytes (JSON).
    package static var json: [UInt8] { PackageResources.openapi_json }
}
