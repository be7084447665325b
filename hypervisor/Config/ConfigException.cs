// A domain configuration file is malformed: the message names the file, line and key.
namespace ParaKit.Hypervisor.Config;

public sealed class ConfigException(string message) : Exception(message);
