// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {IERC20} from "./IERC20.sol";

/// Requesters' money for jobs, paid to the providers whose results a quorum accepted.
///
/// Two ways to pay:
/// - Per job: the requester locks an amount for one job id with a deadline; the settlement
///   address releases it (per milestone, to the agreeing providers) and closes the job, the
///   rest going back to the requester. After the deadline anyone may refund what is left
///   to the requester — no cooperation from the scheduler needed.
/// - In batches: the requester commits a budget until a date; the settlement address pays
///   many jobs at once, netted — one debit per requester and one credit per provider per
///   batch, whatever the number of jobs. After the date the requester reclaims what is left.
///
/// Fee: 1 % of every payment to a provider, rounded down (fee = gross / 100), so a provider
/// is never charged more than 1 %; it is credited to the treasury. Providers and the
/// treasury withdraw their credits when they like. A job id is paid once: locking or
/// batch-settling an id marks it used, for ever. Batch ids carry the top bit (BATCH_ID)
/// and lock ids do not, so a requester cannot block a batch by locking its ids first.
contract JobEscrow {
    uint256 public constant FEE_DIVISOR = 100;
    uint64 public constant BATCH_ID = uint64(1) << 63;

    struct Account {
        uint96 free;          // deposited, not committed
        uint96 committed;     // the batch budget
        uint64 committedUntil;
    }

    struct Lock {
        address requester;
        uint64 amount;    // what is left of the lock (6-decimal units: up to 1.8e13)
        uint32 deadline;  // unix seconds; after it, refundJob
    }

    IERC20 public immutable token;
    address public immutable settlement;
    address public immutable treasury;

    mapping(address => Account) public accounts;
    mapping(address => uint256) public credits;  // earned, not yet withdrawn
    mapping(uint64 => Lock) public locks;
    mapping(uint256 => uint256) private usedIds;  // bitmap of job ids locked or settled

    event Deposited(address indexed requester, uint96 amount);
    event Withdrawn(address indexed account, uint256 amount);
    event Committed(address indexed requester, uint96 amount, uint64 until);
    event Reclaimed(address indexed requester, uint96 amount);
    event JobLocked(uint64 indexed jobId, address indexed requester, uint64 amount, uint32 deadline);
    event JobPaid(uint64 indexed jobId, address indexed provider, uint96 gross, uint96 fee);
    event JobClosed(uint64 indexed jobId, address indexed requester, uint64 refund);
    event JobSettled(uint64 indexed jobId, address indexed requester, uint256 cost);
    event BatchSettled(uint256 jobs, uint256 total, uint256 fees);

    error NotSettlement();
    error ZeroAmount();
    error InsufficientFunds();
    error JobIdUsed(uint64 jobId);
    error NoSuchLock(uint64 jobId);
    error LockExceeded(uint64 jobId);
    error NotYet(uint256 at);
    error BudgetExpired(address requester);
    error BadBatch();
    error BadJobId(uint64 jobId);
    error TransferFailed();

    modifier onlySettlement() {
        if (msg.sender != settlement) revert NotSettlement();
        _;
    }

    constructor(IERC20 token_, address settlement_, address treasury_) {
        token = token_;
        settlement = settlement_;
        treasury = treasury_;
    }

    // ---- requesters' accounts -----------------------------------------------------------

    function deposit(uint96 amount) external {
        if (amount == 0) revert ZeroAmount();
        if (!token.transferFrom(msg.sender, address(this), amount)) revert TransferFailed();
        accounts[msg.sender].free += amount;
        emit Deposited(msg.sender, amount);
    }

    function withdraw(uint96 amount) external {
        Account storage a = accounts[msg.sender];
        if (a.free < amount) revert InsufficientFunds();
        a.free -= amount;
        if (!token.transfer(msg.sender, amount)) revert TransferFailed();
        emit Withdrawn(msg.sender, amount);
    }

    /// Moves `amount` into the batch budget, spendable by the settlement address until
    /// `until` (which only ever moves later).
    function commit(uint96 amount, uint64 until) external {
        Account storage a = accounts[msg.sender];
        if (a.free < amount) revert InsufficientFunds();
        a.free -= amount;
        a.committed += amount;
        if (until > a.committedUntil) a.committedUntil = until;
        emit Committed(msg.sender, amount, a.committedUntil);
    }

    function reclaim() external {
        Account storage a = accounts[msg.sender];
        if (block.timestamp <= a.committedUntil) revert NotYet(a.committedUntil);
        uint96 amount = a.committed;
        a.committed = 0;
        a.free += amount;
        emit Reclaimed(msg.sender, amount);
    }

    // ---- one job at a time --------------------------------------------------------------

    function lockJob(uint64 jobId, uint64 amount, uint32 deadline) external {
        if (amount == 0) revert ZeroAmount();
        if (jobId & BATCH_ID != 0) revert BadJobId(jobId);
        Account storage a = accounts[msg.sender];
        if (a.free < amount) revert InsufficientFunds();
        _use(jobId);
        a.free -= amount;
        locks[jobId] = Lock(msg.sender, amount, deadline);
        emit JobLocked(jobId, msg.sender, amount, deadline);
    }

    /// Pays `gross[i]` of the job's lock to `payees[i]` (less the fee); with `close`, the
    /// rest goes back to the requester and the job is done.
    function releaseJob(uint64 jobId, address[] calldata payees, uint64[] calldata gross, bool close)
        external
        onlySettlement
    {
        Lock storage l = locks[jobId];
        address requester = l.requester;
        if (requester == address(0)) revert NoSuchLock(jobId);
        if (payees.length != gross.length) revert BadBatch();
        uint64 left = l.amount;
        uint256 fees;
        for (uint256 i = 0; i < payees.length; ++i) {
            uint64 g = gross[i];
            if (g > left) revert LockExceeded(jobId);
            left -= g;
            uint256 fee = g / FEE_DIVISOR;
            fees += fee;
            credits[payees[i]] += g - fee;
            emit JobPaid(jobId, payees[i], g, uint96(fee));
        }
        if (fees > 0) credits[treasury] += fees;
        if (close) {
            delete locks[jobId];
            accounts[requester].free += left;
            emit JobClosed(jobId, requester, left);
        } else {
            l.amount = left;
        }
    }

    /// After its deadline, what is left of a job's lock goes back to its requester; anyone
    /// may call this (the requester's client, or a keeper), the scheduler need not.
    function refundJob(uint64 jobId) external {
        Lock memory l = locks[jobId];
        if (l.requester == address(0)) revert NoSuchLock(jobId);
        if (block.timestamp <= l.deadline) revert NotYet(l.deadline);
        delete locks[jobId];
        accounts[l.requester].free += l.amount;
        emit JobClosed(jobId, l.requester, l.amount);
    }

    // ---- many jobs at once, netted ------------------------------------------------------

    /// `jobs` encodes each job as a header word — job id with BATCH_ID set (bits 0-63), index into
    /// `requesters` (64-79), number of payments (80-87) — followed by one word per payment:
    /// index into `payees` (bits 0-15) and gross amount (16-111). Each requester's budget
    /// is debited once and each payee credited once, whatever the number of jobs.
    function settleBatch(address[] calldata requesters, address[] calldata payees, uint256[] calldata jobs)
        external
        onlySettlement
    {
        uint256[] memory debit = new uint256[](requesters.length);
        uint256[] memory credit = new uint256[](payees.length);
        uint256 fees;
        uint256 total;
        uint256 count;
        uint256 i;
        while (i < jobs.length) {
            uint256 header = jobs[i++];
            uint64 jobId = uint64(header);
            uint256 r = (header >> 64) & 0xffff;
            uint256 n = (header >> 80) & 0xff;
            if (r >= requesters.length || i + n > jobs.length) revert BadBatch();
            if (jobId & BATCH_ID == 0) revert BadJobId(jobId);
            _use(jobId);
            uint256 cost;
            for (uint256 k = 0; k < n; ++k) {
                uint256 word = jobs[i++];
                uint256 p = word & 0xffff;
                uint256 g = uint96(word >> 16);
                if (p >= payees.length) revert BadBatch();
                uint256 fee = g / FEE_DIVISOR;
                credit[p] += g - fee;
                fees += fee;
                cost += g;
            }
            debit[r] += cost;
            total += cost;
            ++count;
            emit JobSettled(jobId, requesters[r], cost);
        }
        for (uint256 r = 0; r < requesters.length; ++r) {
            if (debit[r] == 0) continue;
            Account storage a = accounts[requesters[r]];
            if (block.timestamp > a.committedUntil) revert BudgetExpired(requesters[r]);
            if (a.committed < debit[r]) revert InsufficientFunds();
            a.committed -= uint96(debit[r]);
        }
        for (uint256 p = 0; p < payees.length; ++p) {
            if (credit[p] > 0) credits[payees[p]] += credit[p];
        }
        if (fees > 0) credits[treasury] += fees;
        emit BatchSettled(count, total, fees);
    }

    // ---- earnings -----------------------------------------------------------------------

    function withdrawCredits() external {
        uint256 amount = credits[msg.sender];
        if (amount == 0) revert ZeroAmount();
        credits[msg.sender] = 0;
        if (!token.transfer(msg.sender, amount)) revert TransferFailed();
        emit Withdrawn(msg.sender, amount);
    }

    function isUsed(uint64 jobId) external view returns (bool) {
        return usedIds[jobId >> 8] & (1 << (jobId & 255)) != 0;
    }

    function _use(uint64 jobId) private {
        uint256 slot = jobId >> 8;
        uint256 bit = 1 << (jobId & 255);
        uint256 word = usedIds[slot];
        if (word & bit != 0) revert JobIdUsed(jobId);
        usedIds[slot] = word | bit;
    }
}
