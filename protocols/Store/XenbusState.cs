// The xenbus device state machine (xen/include/public/io/xenbus.h) and the keys every device
// directory has. Frontend and backend each publish their state under "state" and watch the other's.
using System;

namespace ParaKit.Protocols.Store;

/// <summary>enum xenbus_state (io/xenbus.h), written to the store in decimal.</summary>
public enum XenbusState : uint
{
    Unknown = 0,
    Initialising = 1,
    /// <summary>Backend: features written, waiting for the frontend's details.</summary>
    InitWait = 2,
    /// <summary>Frontend: details written, waiting for the backend to connect.</summary>
    Initialised = 3,
    Connected = 4,
    /// <summary>The device is being closed down.</summary>
    Closing = 5,
    Closed = 6,
    Reconfiguring = 7,
    Reconfigured = 8,
}

/// <summary>Keys every xenbus device directory has.</summary>
public static class XenbusKeys
{
    /// <summary>The device's <see cref="XenbusState"/>, in decimal.</summary>
    public static ReadOnlySpan<byte> State => "state"u8;
    /// <summary>Frontend: path of its backend directory.</summary>
    public static ReadOnlySpan<byte> Backend => "backend"u8;
    public static ReadOnlySpan<byte> BackendId => "backend-id"u8;
    /// <summary>Backend: path of its frontend directory.</summary>
    public static ReadOnlySpan<byte> Frontend => "frontend"u8;
    public static ReadOnlySpan<byte> FrontendId => "frontend-id"u8;
    public static ReadOnlySpan<byte> Online => "online"u8;
}
