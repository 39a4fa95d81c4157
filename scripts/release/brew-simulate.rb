# Runs a generated formula's own Ruby the way `brew install` and `brew test` would, without Homebrew (there is
# none on the build machine): ruby brew-simulate.rb FORMULA TARBALL PREFIX [macos|linux] [arm|intel]
# It evaluates the formula against a small stand-in for Homebrew's Formula DSL, checks that the url picked for
# the platform names TARBALL and that the sha256 matches it, unpacks it as brew does (the single top-level
# directory is stripped), runs `install` into PREFIX, then runs the `test do` block. Only the DSL this project's
# template uses is provided: a formula that needs more fails here, which is the point.
require "digest"
require "fileutils"
require "pathname"
require "tmpdir"

formula_path, tarball, prefix, os = ARGV
os ||= "linux"
arch = ARGV[4] || "intel"
abort "usage: ruby brew-simulate.rb FORMULA TARBALL PREFIX [macos|linux] [arm|intel]" unless formula_path && tarball && prefix

class Pathname
  # Homebrew's Pathname#install: move each source in; a hash renames (`src => "name"`).
  def install(*sources)
    mkpath
    sources.flatten.each do |source|
      pairs = source.is_a?(Hash) ? source.to_a : [[source, File.basename(source.to_s)]]
      pairs.each { |from, name| FileUtils.mv(from.to_s, (self / name).to_s) }
    end
  end

  def install_symlink(*targets)
    mkpath
    targets.flatten.each { |t| FileUtils.ln_s(t.to_s, (self / File.basename(t.to_s)).to_s) }
  end
end

class Formula
  # The DSL runs in the subclass (Mlxk), so the recorded facts live in one shared place, not in ivars of Formula.
  SIM = {deps: [], spec: {}}

  class << self
    def simulate(os, arch) = SIM.merge!(arch: arch, os: os)
    def spec = SIM[:spec]
    def deps = SIM[:deps]
    def test_block = SIM[:test]

    def desc(text) = (@desc = text)
    def homepage(text) = (@homepage = text)
    def license(text) = (@license = text)
    def version(text = nil) = text ? (SIM[:version] = text) : SIM[:version]
    def url(text) = (SIM[:spec][:url] = text)
    def sha256(text) = (SIM[:spec][:sha256] = text)
    def depends_on(name) = SIM[:deps] << name
    def on_macos(&block) = (SIM[:os] == "macos" ? block.call : nil)
    def on_linux(&block) = (SIM[:os] == "linux" ? block.call : nil)
    def on_arm(&block) = (SIM[:arch] == "arm" ? block.call : nil)
    def on_intel(&block) = (SIM[:arch] == "intel" ? block.call : nil)
    def test(&block) = (SIM[:test] = block)
    def [](name) = Struct.new(:opt_bin).new(Pathname("/opt/homebrew/opt/#{name}/bin"))
  end

  attr_reader :prefix, :testpath

  def initialize(prefix, testpath)
    @prefix = Pathname(prefix)
    @testpath = Pathname(testpath)
  end

  def version = self.class.version
  def bin = prefix / "bin"
  def libexec = prefix / "libexec"
  def bash_completion = prefix / "etc/bash_completion.d"
  def zsh_completion = prefix / "share/zsh/site-functions"
  def fish_completion = prefix / "share/fish/vendor_completions.d"

  def shell_output(command, expected = 0)
    output = `#{command}`
    raise "`#{command}` exited #{$?.exitstatus}, expected #{expected}:\n#{output}" unless $?.exitstatus == expected
    output
  end

  def assert_match(pattern, text)
    matched = pattern.is_a?(Regexp) ? pattern.match?(text) : text.include?(pattern)
    raise "expected #{pattern.inspect} in:\n#{text}" unless matched
  end
end

Formula.simulate(os, arch)
load formula_path
klass = Object.const_get(:Mlxk)
spec = klass.spec
abort "no url for #{os}/#{arch}" unless spec[:url]
abort "url #{spec[:url]} does not name #{File.basename(tarball)}" unless spec[:url].end_with?("/#{File.basename(tarball)}")
actual = Digest::SHA256.file(tarball).hexdigest
abort "sha256 #{spec[:sha256]} does not match #{tarball} (#{actual})" unless spec[:sha256] == actual
puts "formula: #{os}/#{arch} url and sha256 match; depends_on #{klass.deps.join(', ')}"

Dir.mktmpdir("brew-sim-") do |tmp|
  buildpath = File.join(tmp, "build")
  FileUtils.mkdir_p(buildpath)
  system("tar", "-xzf", tarball, "-C", buildpath, "--strip-components=1", exception: true)
  formula = klass.new(prefix, File.join(tmp, "test"))
  Dir.chdir(buildpath) { formula.install }
  puts "install: done into #{prefix}"
  puts "caveats: #{formula.caveats.lines.first.strip}" if formula.respond_to?(:caveats)
  FileUtils.mkdir_p(formula.testpath)
  Dir.chdir(formula.testpath) { formula.instance_eval(&klass.test_block) }
  puts "test: passed"
end
