/// A network set-up step that failed, with what the command printed.
package struct NetworkPartitionError: Error, CustomStringConvertible {
    package var description: String

    package init(_ description: String) { self.description = description }
}
