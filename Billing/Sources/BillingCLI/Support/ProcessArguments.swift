import Foundation

/// This process's arguments, without the program's name.
///
/// Swift takes them from the C library when its runtime starts; a preloaded library that starts
/// the runtime earlier (libfaketime, under which the fault suite steps a node's clock) leaves
/// `CommandLine.arguments` empty. The kernel's copy, `/proc/self/cmdline`, is read then.
enum ProcessArguments {
    static var current: [String] {
        if !CommandLine.arguments.isEmpty { return Array(CommandLine.arguments.dropFirst()) }
        guard let data = FileManager.default.contents(atPath: "/proc/self/cmdline") else { return [] }
        let all = data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        // The kernel's copy ends with a NUL: the last field is empty.
        return Array(all.dropFirst().dropLast(all.last == "" ? 1 : 0))
    }
}
