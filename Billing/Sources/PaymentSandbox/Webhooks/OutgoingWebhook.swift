import Foundation

/// A webhook event the sandbox made, waiting to be sent: the provider's event type and the object
/// it is about (a PaymentIntent, a PayPal capture), as JSON.
enum OutgoingWebhook: Sendable {
    case stripe(type: String, object: [UInt8])
    case payPal(type: String, resource: [UInt8])

    /// The event's body, in its provider's envelope, with a new event id.
    var body: [UInt8] {
        switch self {
        case .stripe(let type, let object):
            let created = Int64(Date().timeIntervalSince1970)
            let head =
                #"{"id":"\#(SandboxIDs.make("evt_"))","object":"event","api_version":"2024-06-20","created":\#(created),"livemode":false,"pending_webhooks":1,"type":"\#(type)","data":{"object":"#
            return Array(head.utf8) + object + Array("}}".utf8)
        case .payPal(let type, let resource):
            let formatter = ISO8601DateFormatter()
            let head =
                #"{"id":"WH-\#(SandboxIDs.make("", length: 17))","event_version":"1.0","create_time":"\#(formatter.string(from: Date()))","resource_type":"capture","resource_version":"2.0","event_type":"\#(type)","summary":"Payment \#(type.split(separator: ".").last.map(String.init)?.lowercased() ?? "")","resource":"#
            return Array(head.utf8) + resource + Array("}".utf8)
        }
    }

    var isPayPal: Bool {
        if case .payPal = self { return true }
        return false
    }
}
