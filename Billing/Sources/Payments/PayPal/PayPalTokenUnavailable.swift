/// No access token could be had for a reason a later retry may fix; nothing was charged.
struct PayPalTokenUnavailable: Error {
    var message: String
}
