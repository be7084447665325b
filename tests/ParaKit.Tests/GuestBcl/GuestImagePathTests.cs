// `parakit run NAME`: how a bare guest name becomes out/guests/NAME.elf, and the sentences for
// images that are not there (no files needed: the file test is passed in).
using ParaKit.Hypervisor.Cli;

namespace ParaKit.Tests.GuestBcl;

public class GuestImagePathTests
{
    [Test]
    public void An_existing_path_is_used_as_is()
        => Assert.That(GuestImagePath.Resolve("x/hello.elf", () => "/repo", () => "/repo/out/bin", p => p == "x/hello.elf", out _), Is.EqualTo("x/hello.elf"));

    [TestCase("hello")]
    [TestCase("hello.elf")]
    public void A_bare_name_is_found_under_out_guests(string name)
        => Assert.That(GuestImagePath.Resolve(name, () => "/repo", () => "/repo/out/bin", p => p == "/repo/out/guests/hello.elf", out _), Is.EqualTo("/repo/out/guests/hello.elf"));

    [Test]
    public void Next_to_the_binary_when_the_current_folder_has_no_out()
        => Assert.That(GuestImagePath.Resolve("hello", () => "/home/me", () => "/repo/out/bin/", p => p == "/repo/out/guests/hello.elf", out _), Is.EqualTo("/repo/out/guests/hello.elf"));

    [Test]
    public void A_missing_guest_says_how_to_build_it()
    {
        Assert.That(GuestImagePath.Resolve("nope", () => "/repo", () => "/repo/out/bin", _ => false, out string error), Is.Null);
        Assert.That(error, Does.Contain("no out/guests/nope.elf").And.Contain("make guest APP=nope"));
    }

    [Test]
    public void A_path_is_not_searched_for_and_left_to_the_image_loader()
        => Assert.That(GuestImagePath.Resolve("dir/nope.elf", () => "/repo", () => "/repo/out/bin", _ => false, out _), Is.EqualTo("dir/nope.elf"));

    [TestCase(null, null)]
    [TestCase("", null)]
    [TestCase("2.5", "2.5")]
    public void PARAKIT_TIMEOUT_is_the_default_timeout(string? env, string? expected)
        => Assert.That(RunCommand.DefaultTimeout(env), Is.EqualTo(expected));

    [Test]
    public void A_bad_PARAKIT_TIMEOUT_is_a_usage_error_naming_the_variable()
        => Assert.That(() => RunCommand.DefaultTimeout("soon"), Throws.TypeOf<UsageException>().With.Message.Contains("PARAKIT_TIMEOUT"));
}
