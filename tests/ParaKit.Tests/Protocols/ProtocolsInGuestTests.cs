// The protocol sources are compiled into every guest image; this boots the protocheck unikernel,
// which drives the ring, event bits, grants and XenStore codec inside the guest, under KVM.
using System.Text.RegularExpressions;
using ParaKit.Tests.Guests;

namespace ParaKit.Tests.Protocols;

[TestFixture]
[NonParallelizable]
public class ProtocolsInGuestTests
{
    [Test]
    public void Protocols_work_inside_a_unikernel()
    {
        var result = GuestToolchain.Boot(GuestToolchain.Build("protocheck"));
        var summary = Regex.Match(result.Stdout, @"protocheck: (\d+) passed, (\d+) failed");
        Assert.That(summary.Success, Is.True, "no summary line in:\n" + result.Output);
        Assert.Multiple(() =>
        {
            Assert.That(int.Parse(summary.Groups[2].Value), Is.EqualTo(0), result.Output);
            Assert.That(int.Parse(summary.Groups[1].Value), Is.GreaterThanOrEqualTo(13), result.Output);
            Assert.That(result.ExitCode, Is.EqualTo(0), result.Output);
        });
    }
}
