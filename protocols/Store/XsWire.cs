// The XenStore wire protocol (xen/include/public/io/xs_wire.h, docs/misc/xenstore.txt): the
// message header, message types, error names and limits.
using System;
using System.Runtime.InteropServices;

namespace ParaKit.Protocols.Store;

/// <summary>xsd_sockmsg (io/xs_wire.h), 16 bytes, little-endian; <see cref="Len"/> payload bytes follow.</summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct XsdSockMsg
{
    public const int Size = 16;
    /// <summary><see cref="XsdSockMsgType"/>.</summary>
    [FieldOffset(0)] public uint Type;
    /// <summary>Chosen by the client, echoed in the reply.</summary>
    [FieldOffset(4)] public uint ReqId;
    /// <summary>Transaction id, 0 outside a transaction.</summary>
    [FieldOffset(8)] public uint TxId;
    /// <summary>Payload length, at most <see cref="XsLimits.PayloadMax"/>.</summary>
    [FieldOffset(12)] public uint Len;
}

/// <summary>enum xsd_sockmsg_type (io/xs_wire.h).</summary>
public enum XsdSockMsgType : uint
{
    Control = 0,
    Directory = 1,
    Read = 2,
    GetPerms = 3,
    Watch = 4,
    Unwatch = 5,
    TransactionStart = 6,
    TransactionEnd = 7,
    Introduce = 8,
    Release = 9,
    GetDomainPath = 10,
    Write = 11,
    Mkdir = 12,
    Rm = 13,
    SetPerms = 14,
    WatchEvent = 15,
    Error = 16,
    IsDomainIntroduced = 17,
    Resume = 18,
    SetTarget = 19,
    ResetWatches = 21,
    DirectoryPart = 22,
    GetFeature = 23,
    SetFeature = 24,
    GetQuota = 25,
    SetQuota = 26,
}

/// <summary>Limits of io/xs_wire.h.</summary>
public static class XsLimits
{
    /// <summary>XENSTORE_PAYLOAD_MAX.</summary>
    public const int PayloadMax = 4096;
    /// <summary>XENSTORE_ABS_PATH_MAX.</summary>
    public const int AbsPathMax = 3072;
    /// <summary>XENSTORE_REL_PATH_MAX.</summary>
    public const int RelPathMax = 2048;
    /// <summary>Header plus the largest payload.</summary>
    public const int MessageMax = XsdSockMsg.Size + PayloadMax;
}

/// <summary>The errors of xsd_errors[] (io/xs_wire.h), valued by their Linux errno numbers.
/// On the wire an error is an ERROR message whose payload is the name, nul-terminated.</summary>
public enum XsError
{
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    EIO = 5,
    E2BIG = 7,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EBUSY = 16,
    EEXIST = 17,
    EISDIR = 21,
    EINVAL = 22,
    ENOSPC = 28,
    EROFS = 30,
    ENOSYS = 38,
    ENOTEMPTY = 39,
    EISCONN = 106,
}

/// <summary>Names of <see cref="XsError"/> values as they travel on the wire.</summary>
public static class XsErrors
{
    /// <summary>The name without its nul ("EINVAL"); empty for an unknown value.</summary>
    public static ReadOnlySpan<byte> Name(XsError error) => error switch
    {
        XsError.EINVAL => "EINVAL"u8,
        XsError.EACCES => "EACCES"u8,
        XsError.EEXIST => "EEXIST"u8,
        XsError.EISDIR => "EISDIR"u8,
        XsError.ENOENT => "ENOENT"u8,
        XsError.ENOMEM => "ENOMEM"u8,
        XsError.ENOSPC => "ENOSPC"u8,
        XsError.EIO => "EIO"u8,
        XsError.ENOTEMPTY => "ENOTEMPTY"u8,
        XsError.ENOSYS => "ENOSYS"u8,
        XsError.EROFS => "EROFS"u8,
        XsError.EBUSY => "EBUSY"u8,
        XsError.EAGAIN => "EAGAIN"u8,
        XsError.EISCONN => "EISCONN"u8,
        XsError.E2BIG => "E2BIG"u8,
        XsError.EPERM => "EPERM"u8,
        _ => default,
    };

    /// <summary>Every error the wire defines, in xsd_errors[] order (errno values, all below 256),
    /// so lookups need no dictionary.</summary>
    public static ReadOnlySpan<byte> All => [
        (byte)XsError.EINVAL, (byte)XsError.EACCES, (byte)XsError.EEXIST, (byte)XsError.EISDIR,
        (byte)XsError.ENOENT, (byte)XsError.ENOMEM, (byte)XsError.ENOSPC, (byte)XsError.EIO,
        (byte)XsError.ENOTEMPTY, (byte)XsError.ENOSYS, (byte)XsError.EROFS, (byte)XsError.EBUSY,
        (byte)XsError.EAGAIN, (byte)XsError.EISCONN, (byte)XsError.E2BIG, (byte)XsError.EPERM,
    ];
}
