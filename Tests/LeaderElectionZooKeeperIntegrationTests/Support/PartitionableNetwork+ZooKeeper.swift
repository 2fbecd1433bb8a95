import TestSupport

extension PartitionableNetwork.Naming {
    /// The ZooKeeper tests' subnets (`10.217.N.0/24`) and names (`zk…`).
    static let zooKeeper = Self(addressPrefix: "10.217", linkPrefix: "zk")
}
