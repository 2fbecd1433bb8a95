/// The parts of PayPal's JSON the client writes and reads.
enum PayPalWire {
    /// `POST /v1/oauth2/token` answer.
    struct AccessToken: Decodable, Sendable {
        var accessToken: String
        var expiresIn: Int64?

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token"
            case expiresIn = "expires_in"
        }
    }

    /// The create-order body: capture at once from a vaulted source.
    struct CreateOrder: Encodable, Sendable {
        var intent = "CAPTURE"
        var purchaseUnits: [PurchaseUnit]
        var paymentSource: [String: VaultReference]

        enum CodingKeys: String, CodingKey {
            case intent
            case purchaseUnits = "purchase_units"
            case paymentSource = "payment_source"
        }
    }

    /// One purchase unit of the create-order body.
    struct PurchaseUnit: Encodable, Sendable {
        var referenceID: String
        var invoiceID: String
        var customID: String
        var description: String?
        var amount: Amount

        enum CodingKeys: String, CodingKey {
            case referenceID = "reference_id"
            case invoiceID = "invoice_id"
            case customID = "custom_id"
            case description, amount
        }
    }

    /// `{"currency_code": "USD", "value": "19.99"}`.
    struct Amount: Codable, Sendable {
        var currencyCode: String
        var value: String

        enum CodingKeys: String, CodingKey {
            case currencyCode = "currency_code"
            case value
        }
    }

    /// `{"vault_id": "..."}`.
    struct VaultReference: Codable, Sendable {
        var vaultID: String

        enum CodingKeys: String, CodingKey {
            case vaultID = "vault_id"
        }
    }

    /// An order as PayPal answers it.
    struct Order: Decodable, Sendable {
        var id: String
        var status: String
        var purchaseUnits: [PurchaseUnitResult]?
        var links: [Link]? = nil

        enum CodingKeys: String, CodingKey {
            case id, status, links
            case purchaseUnits = "purchase_units"
        }

        /// Every capture of every purchase unit.
        var captures: [Capture] { (purchaseUnits ?? []).flatMap { $0.payments?.captures ?? [] } }
    }

    /// A HATEOAS link of an answered order (`rel` `payer-action` names the payer's approval page).
    struct Link: Decodable, Sendable {
        var href: String
        var rel: String
    }

    /// A purchase unit of an answered order.
    struct PurchaseUnitResult: Decodable, Sendable {
        var payments: Payments?
    }

    /// The payments of a purchase unit.
    struct Payments: Decodable, Sendable {
        var captures: [Capture]?
    }

    /// One capture.
    struct Capture: Decodable, Sendable {
        var id: String
        var status: String
        var processorResponse: ProcessorResponse?

        enum CodingKeys: String, CodingKey {
            case id, status
            case processorResponse = "processor_response"
        }
    }

    /// The card network's answer to a capture.
    struct ProcessorResponse: Decodable, Sendable {
        var responseCode: String?

        enum CodingKeys: String, CodingKey {
            case responseCode = "response_code"
        }
    }

    /// A page of `GET /v1/reporting/transactions` (Transaction Search).
    struct TransactionPage: Decodable, Sendable {
        var transactionDetails: [TransactionDetail]
        var page: Int?
        var totalPages: Int?

        enum CodingKeys: String, CodingKey {
            case transactionDetails = "transaction_details"
            case page
            case totalPages = "total_pages"
        }
    }

    /// One listed transaction.
    struct TransactionDetail: Decodable, Sendable {
        var transactionInfo: TransactionInfo

        enum CodingKeys: String, CodingKey {
            case transactionInfo = "transaction_info"
        }
    }

    /// A transaction's identification, amount and status.
    struct TransactionInfo: Decodable, Sendable {
        var transactionID: String
        var transactionAmount: Amount?
        /// `S` (completed), `P` (pending), `D` (denied), `V` (reversed).
        var transactionStatus: String?
        var invoiceID: String?
        var customField: String?

        enum CodingKeys: String, CodingKey {
            case transactionID = "transaction_id"
            case transactionAmount = "transaction_amount"
            case transactionStatus = "transaction_status"
            case invoiceID = "invoice_id"
            case customField = "custom_field"
        }
    }

    /// `{"name", "message", "debug_id", "details": [{"issue", "description"}]}`.
    struct ErrorBody: Decodable, Sendable {
        var name: String
        var message: String?
        var debugID: String?
        var details: [ErrorDetail]?

        enum CodingKeys: String, CodingKey {
            case name, message, details
            case debugID = "debug_id"
        }
    }

    /// One detail of an error.
    struct ErrorDetail: Decodable, Sendable {
        var issue: String?
        var description: String?
    }

    /// An OAuth error: `{"error": "invalid_client", "error_description": "..."}`.
    struct OAuthError: Decodable, Sendable {
        var error: String
        var errorDescription: String?

        enum CodingKeys: String, CodingKey {
            case error
            case errorDescription = "error_description"
        }
    }
}
